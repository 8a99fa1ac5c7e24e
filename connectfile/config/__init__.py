"""Stage 1, config: connect.toml text to a frozen Project (schema, cross-field rules, line map)."""
