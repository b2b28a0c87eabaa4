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
