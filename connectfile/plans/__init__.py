"""Stage 5, plans: plan values, the diff that decides them, and saved plan files."""
