"""The open Delta Sharing protocol: ``routes`` (listings, table queries, signed files, the activation page) and its
domain (recipient access, the view served to a recipient, query building, the wire format, partition filters,
predicate hints)."""
