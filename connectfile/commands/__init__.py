"""One module per CLI command; each exposes run(**kwargs) -> int and never touches argv."""
