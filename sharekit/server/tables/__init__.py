"""Local Delta tables under Unity Catalog names: the registry, column info, snapshots (file lists), file statistics,
change-data files, and the keys file URLs name tables by."""
