"""Stage 4, remote: talking to Connect (HTTP client, target session, deployed state, records)."""
