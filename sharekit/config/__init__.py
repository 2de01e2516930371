"""Configuration as code: YAML model, plan, apply, export."""
