"""Credentials: token hashing and constant-time comparison, the admin check, signed file URLs, IP access lists."""
