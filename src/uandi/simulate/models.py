"""One entry point for every diffusion model: `trajectories(model, n, length, alpha, rng)`."""

from __future__ import annotations

import numpy as np

from ._common import check_alpha, check_length, check_model, check_n, check_rng
from .attm import attm, attm_steps
from .ctrw import ctrw, ctrw_steps
from .fbm import fbm, fbm_steps
from .lw import lw, lw_steps
from .sbm import sbm, sbm_steps

_POSITIONS = {"attm": attm, "ctrw": ctrw, "fbm": fbm, "lw": lw, "sbm": sbm}
_STEPS = {"attm": attm_steps, "ctrw": ctrw_steps, "fbm": fbm_steps, "lw": lw_steps, "sbm": sbm_steps}


def generate_steps(model: str, alpha: np.ndarray, n_steps: int, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """Unchecked fast path: increments (len(alpha), n_steps, 2) of `dtype` in the model's native units."""
    return _STEPS[model](rng, alpha, n_steps, dtype)


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
    return _POSITIONS[model](rng, alpha, length)
