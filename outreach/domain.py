"""Domain errors raised by services and mapped to HTTP at the edge (as CKAN does)."""


class NotFound(Exception):
    """The thing asked for does not exist, or is not visible to whoever asked."""


class NotAllowed(Exception):
    """The thing exists but whoever asked may not do this to it."""
