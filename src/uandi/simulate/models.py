"""One entry point for every diffusion model: `trajectories(model, n, length, alpha, rng)`."""

from __future__ import annotations

import numpy as np

from ._common import check_alpha, check_length, check_model, check_n, check_rng
from .attm import attm
from .ctrw import ctrw
from .fbm import fbm
from .lw import lw
from .sbm import sbm

_GENERATORS = {"attm": attm, "ctrw": ctrw, "fbm": fbm, "lw": lw, "sbm": sbm}


def generate(model: str, alpha: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Unchecked fast path: positions (len(alpha), length, 2) float64 in the model's native units."""
    return _GENERATORS[model](rng, alpha, length)


def trajectories(model: str, n: int, length: int, alpha, rng: np.random.Generator) -> np.ndarray:
    """Simulate n 2D trajectories of one diffusion model.

    model: "attm", "ctrw", "fbm", "lw" or "sbm".
    n: number of trajectories. length: points per trajectory (time step 1 frame).
    alpha: anomalous exponent, a scalar or one per trajectory (shape (n,)), within the model's range.
    rng: numpy.random.Generator (explicit, for reproducibility).
    Returns positions (n, length, 2) float64 starting at the origin, in the model's native units:
    FBM and SBM with per-axis MSD 2 t^alpha; CTRW with unit-variance jumps; LW with speed 1; ATTM with
    diffusion coefficients in (0, 1].
    """
    model = check_model(model)
    n = check_n(n)
    length = check_length(length, minimum=2)
    alpha = check_alpha(model, alpha, n)
    rng = check_rng(rng)
    return generate(model, alpha, length, rng)
