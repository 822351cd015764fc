"""ccnow-tui: a terminal client for the CCNow Order Update API."""

__version__ = "0.1.0"
