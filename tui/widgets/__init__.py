"""The dashboard's own widgets, one per module."""
