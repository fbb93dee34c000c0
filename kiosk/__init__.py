"""The kiosk app."""
