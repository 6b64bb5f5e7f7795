"""Use cases. Each takes the acting user explicitly, does one thing and commits once."""
