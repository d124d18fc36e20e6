"""The one exception type that reaches the user as a single clear line."""

from hydra.errors import CompactHydraException


class UserError(CompactHydraException):
    """A problem with the user's input or config, stated with where it is and how to fix it."""
