"""Errors with one clear sentence each, caught once at the CLI or batch boundary."""

from __future__ import annotations


class ScreenerError(Exception):
    """Base class: the message is meant for the user as it is."""


class InputError(ScreenerError):
    """A paper could not be read. The message names the file and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class ExtractionError(ScreenerError):
    """An extractor could not produce a design."""


class RulesError(ScreenerError):
    """The rule table is malformed (caught when it is loaded, not when it is used)."""
