"""The metastore: the SQLite store of shares, shared objects, recipients, tokens, grants and table registrations,
its records, the name rules it enforces, and page tokens of listings."""
