"""One entry point for every diffusion model: `trajectories(model, n, length, alpha, rng)`."""

from __future__ import annotations

import numpy as np

from . import andi
from ._common import check_alpha, check_length, check_model, check_n, check_rng, positions_from_steps
from .attm import attm, attm_steps
from .ctrw import ctrw, ctrw_steps
from .fbm import fbm, fbm_steps
from .lw import lw, lw_steps
from .sbm import sbm, sbm_steps

_POSITIONS = {"attm": attm, "ctrw": ctrw, "fbm": fbm, "lw": lw, "sbm": sbm}
_STEPS = {"attm": attm_steps, "ctrw": ctrw_steps, "fbm": fbm_steps, "lw": lw_steps, "sbm": sbm_steps}

# "uandi": our own parametrisations (docs/simulator.md); "andi": andi-datasets' (uandi.simulate.andi).
FLAVORS = ("uandi", "andi")
_FLAVOR_STEPS = {"uandi": _STEPS, "andi": andi.STEPS}


def check_flavor(flavor) -> str:
    """Return the flavour name, or raise naming the allowed ones."""
    if flavor not in FLAVORS:
        raise ValueError(f"unknown simulator flavor {flavor!r}; allowed: {', '.join(FLAVORS)}")
    return flavor


def generate_steps(model: str, alpha: np.ndarray, n_steps: int, rng: np.random.Generator, dtype=np.float64,
                   flavor: str = "uandi") -> np.ndarray:
    """Unchecked fast path: increments (len(alpha), n_steps, 2) of `dtype` in the model's native units."""
    return _FLAVOR_STEPS[flavor][model](rng, alpha, n_steps, dtype)


def trajectories(model: str, n: int, length: int, alpha, rng: np.random.Generator, flavor: str = "uandi") -> np.ndarray:
    """Simulate n 2D trajectories of one diffusion model.

    model: "attm", "ctrw", "fbm", "lw" or "sbm".
    n: number of trajectories. length: points per trajectory (time step 1 frame).
    alpha: anomalous exponent, a scalar or one per trajectory (shape (n,)), within the model's range.
    rng: numpy.random.Generator (explicit, for reproducibility).
    flavor: "uandi" (our parametrisations) or "andi" (andi-datasets', see uandi.simulate.andi).
    Returns positions (n, length, 2) float64 starting at the origin, in the model's native units:
    FBM and SBM with per-axis MSD 2 t^alpha; CTRW with unit-variance jumps; LW with speed 1; ATTM with
    diffusion coefficients in (0, 1]. The andi flavour keeps andi-datasets' units instead (FBM on total
    time 1, SBM with MSD (t+1)^alpha - 1, LW speed U(0, 10)).
    """
    model = check_model(model)
    n = check_n(n)
    length = check_length(length, minimum=2)
    alpha = check_alpha(model, alpha, n)
    rng = check_rng(rng)
    if check_flavor(flavor) == "uandi":
        return _POSITIONS[model](rng, alpha, length)
    return positions_from_steps(generate_steps(model, alpha, length - 1, rng, flavor=flavor))
