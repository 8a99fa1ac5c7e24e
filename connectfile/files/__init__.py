"""Stage 2, files: which app files go into the bundle (rules, walk, hash cache, entrypoints)."""
