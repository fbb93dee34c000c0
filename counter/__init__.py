"""The counter app."""
