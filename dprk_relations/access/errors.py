"""The error every way of getting a release raises."""


class LoadError(Exception):
    """The release cannot be loaded; the message says which file and why."""
