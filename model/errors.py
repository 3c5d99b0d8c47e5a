"""The project's own error types: what the ``stance`` command reports as one line, without a traceback.

Anything else that escapes a command is a bug and is shown with its traceback.
"""

from __future__ import annotations


class StanceError(Exception):
    """A failure the user can act on (a refused model, a bad input or option), said in one line."""


class InputError(StanceError, ValueError):
    """An input file, option or value that cannot be used as given."""
