"""Error bars for the alpha network's segment values, measured on simulated tracks.

The exact likelihoods give FBM and SBM segments an alpha with a standard error. The other segments -
classified ATTM, CTRW or LW, classified with a probability under 0.85, or under 10 points - keep the
alpha network's mean over the segment, and no formula gives its error: the network's error depends on
the model, on the segment's length, on how sure its class is, and on whether the segment found is one
motion or straddles a missed change. So it is measured. benchmarks/alpha_error.py runs the product
(`uandi.segment`, both shipped networks) on simulated five-model tracks of both simulator flavours,
compares each such segment's alpha with the true alpha of most of its points, and stores, for each
cell of (class called, sure or doubtful, segment length), the 95th percentile of the absolute error.
The segment's ``alpha_se`` is that percentile / 1.96, so that alpha +- 1.96 alpha_se is the interval
that held the truth in 95 % of the calibration segments like it. The same script checks it on
independent sets, andi-datasets' own simulations among them (docs/alpha_models.md).

    table = calibrate(called, sure, length, error)       # arrays over calibration segments
    se = lookup(table, called, sure, length)               # alpha_se for new segments, NaN where unknown

A table holds for the networks it was measured with (their sha256 in the table); the shipped file holds
one per pair (the default diffusion-model network and diffusion-model-clean, each beside alpha-all). For
any other network ``network_alpha_error_table`` returns None and those segments keep no error bar.

Units: alpha dimensionless; lengths in points.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

__all__ = ["LENGTH_EDGES", "MIN_CELL", "calibrate", "lookup", "network_alpha_error_table", "shipped_tables"]

# segment lengths (points) at which the cells part: [0, 10) is the likelihood's "under 10 points", then
# roughly doubling lengths, where the network's error falls roughly as 1/sqrt(length)
LENGTH_EDGES = (0, 10, 20, 40, 80, 160, 320)
# fewest calibration segments behind a cell's percentile (its coverage then has a binomial standard
# error of at most 2 %); a thinner cell borrows from its neighbours in length
MIN_CELL = 120
# the interval the table is made for, alpha +- Z_95 alpha_se, and the share of errors it holds
COVERAGE, Z_95 = 0.95, 1.96
TABLE_FILE = "alpha-network-error.json"


def _length_bin(length) -> np.ndarray:
    return np.searchsorted(np.asarray(LENGTH_EDGES[1:]), np.asarray(length), side="right")  # 0 .. len(EDGES)-1


def calibrate(called, sure, length, error, min_cell: int = MIN_CELL) -> dict:
    """The error table from calibration segments.

    called : (S,) class names the diffusion-model network gave the segments; sure : (S,) bool, whether
    that class's probability reached the likelihood's threshold; length : (S,) points; error : (S,) the
    network's alpha minus the true alpha. Returns {"edges", "coverage", "cells"}: cells[class][sure or
    doubtful] is a list, one entry per length bin, of {"se", "n", "from": [first, last] bins pooled}.
    A cell with fewer than `min_cell` segments pools its nearest length bins (shorter first) until it
    has enough; a class with fewer than `min_cell` segments in all gets None there.
    """
    called, sure = np.asarray(called, dtype=object), np.asarray(sure, bool)
    bins, error = _length_bin(length), np.abs(np.asarray(error, float))
    n_bins = len(LENGTH_EDGES)
    cells = {}
    for name in sorted(set(called.tolist())):
        cells[name] = {}
        for key, flag in (("sure", True), ("doubtful", False)):
            mine = (called == name) & (sure == flag)
            row = []
            for b in range(n_bins):
                lo, hi = b, b
                while np.sum(mine & (bins >= lo) & (bins <= hi)) < min_cell and (lo > 0 or hi < n_bins - 1):
                    lo, hi = (lo - 1, hi) if lo > 0 and (hi == n_bins - 1 or b - lo <= hi - b) else (lo, hi + 1)
                pooled = error[mine & (bins >= lo) & (bins <= hi)]
                if len(pooled) < min_cell:
                    row.append(None)
                    continue
                row.append({"se": float(np.quantile(pooled, COVERAGE)) / Z_95, "n": int(len(pooled)),
                            "from": [lo, hi]})
            cells[name][key] = row
    return {"edges": list(LENGTH_EDGES), "coverage": COVERAGE, "cells": cells}


def lookup(table: dict, called, sure, length) -> np.ndarray:
    """alpha_se for segments (arrays as calibrate's) from the table; NaN for a class or cell it lacks."""
    called, sure, bins = np.asarray(called, dtype=object), np.asarray(sure, bool), _length_bin(length)
    out = np.full(len(called), np.nan)
    for i, (name, flag, b) in enumerate(zip(called.tolist(), sure.tolist(), np.atleast_1d(bins).tolist())):
        cell = (table["cells"].get(name) or {}).get("sure" if flag else "doubtful")
        if cell and cell[b] is not None:
            out[i] = cell[b]["se"]
    return out


def shipped_tables() -> list:
    """The shipped error tables, one per pair of networks they were measured with ({"tables": [...]})."""
    path = resources.files("uandi.weights") / TABLE_FILE
    return json.loads(path.read_text())["tables"] if path.is_file() else []


def network_alpha_error_table(alpha_card: dict | None, model_card: dict | None) -> dict | None:
    """The shipped error table measured with these two networks (matched by their sha256), else None."""
    shas = ((alpha_card or {}).get("sha256"), (model_card or {}).get("sha256"))
    for table in shipped_tables():
        if shas == (table.get("alpha_network_sha256"), table.get("model_network_sha256")):
            return table
    return None
