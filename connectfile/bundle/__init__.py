"""Stage 3, bundle: an app's manifest, Python and requirements, prepared state and tar archive."""
