"""The Unity Catalog REST subset that databricks-sdk calls: shares, share objects, permissions, recipients, the
public activation endpoints, and catalog browsing over the local tables."""
