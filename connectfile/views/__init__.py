"""Stage 7, views: everything the user reads (plan text, JSON, apply progress and summary)."""
