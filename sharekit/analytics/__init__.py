"""Usage analytics over the audit log."""
