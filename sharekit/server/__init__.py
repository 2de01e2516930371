"""The embedded sharing server. Imports nothing from the client side (magics, widgets, config, analytics)."""
