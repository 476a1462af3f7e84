"""A packaged HTTP service of the hardened test data."""
