"""Stage 6, engine: orchestrate plan and apply over the stages below; offline and online checks."""
