"""Housekeeping of the embedded server: health, the SDK's probes, table registration, demo tables,
preview-as-recipient and the OpenAPI document."""
