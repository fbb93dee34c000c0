"""The display app."""
