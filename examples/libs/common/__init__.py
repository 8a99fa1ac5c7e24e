"""Code shared by several example apps; bundled into each through a { from, to } mapping."""
