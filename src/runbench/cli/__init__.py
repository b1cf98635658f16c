"""Command-line shells over the core."""
