"""Widget forms and the usage dashboard."""
