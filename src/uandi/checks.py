"""Argument checks used across the package, so each rule and its message are written once."""

from __future__ import annotations

import numpy as np


def check_int(value, name: str, minimum: int = 1) -> int:
    """`value` as an int if it is an integer >= `minimum` (a bool is not), else a ValueError naming it.

    `name` is what the message calls the argument, with its unit, e.g. "min_gap (shortest segment,
    in points)".
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_units(pixel_size, frame_interval) -> None:
    """The physical units of the likelihood's K and localization error: each None (input units, frames)
    or a finite number > 0 (pixel_size: micrometres per input unit; frame_interval: seconds per frame)."""
    for name, value in (("pixel_size", pixel_size), ("frame_interval", frame_interval)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0 (pixel_size: micrometres per input unit; "
                             f"frame_interval: seconds per frame); got {value!r}")
