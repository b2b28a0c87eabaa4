"""Notices: odd but valid input that was handled in a way the user should know about.

The library never prints. When it makes a choice the user did not ask for (frames numbered in row
order, a semicolon-separated file, an input column renamed so an output column can take its name),
it says so with a :class:`UandiNotice`, a ``UserWarning``; Python shows it once per message by
default, ``warnings.simplefilter("error", UandiNotice)`` turns notices into errors, and the ``uandi``
command prints each one as a line ``uandi <command>: note: ...`` on stderr.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

__all__ = ["UandiNotice", "notify"]


class UandiNotice(UserWarning):
    """Odd but valid input was handled; the message says how and what to do if that was wrong."""


_PACKAGE = str(Path(__file__).resolve().parent)


def notify(message: str) -> None:
    """Issue ``message`` as a :class:`UandiNotice`, attributed to the first caller outside uandi."""
    frame, level = sys._getframe(1), 2
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UandiNotice, stacklevel=level)
