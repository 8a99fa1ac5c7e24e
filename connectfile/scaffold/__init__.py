"""`init`: find apps under a directory and write a commented connect.toml for them."""
