"""The one error a source raises when it cannot be read."""

from common.errors import InvalidInput


class SourceError(InvalidInput):
    """The source could not be read (bad credentials, unreachable address, an answer that
    is not what its API documents); the message says which, for a person."""
