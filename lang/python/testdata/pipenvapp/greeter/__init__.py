"""A small HTTP service of the hardened test data: it answers with its uid and a greeting."""
