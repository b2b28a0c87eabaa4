"""Motion blur: each frame's position averaged over the camera's exposure.

A camera integrates the light of a moving particle over its exposure, so a localization is the mean
position over that time, not the position at one instant. For Brownian motion with the shutter open
the whole frame, consecutive steps are then correlated +0.25 and 2/3 as large in variance: a network
that never saw blur reads such steps as super-diffusion (docs/real_data.md, the beads).

The exposure f is a fraction of the frame interval in [0.001, 1]; frame k's position becomes the mean of the
path over [k, k + f]. FBM is blurred exactly: its blurred steps are Gaussian and stationary with the
autocovariance of uandi.likelihood.increment_autocovariance(alpha, n, exposure=f), sampled by circulant
embedding like fGn (uandi.simulate.fbm). The other models are simulated frame by frame as before (their
own time scale and quirks kept, the andi flavour's whole-frame periods included), and the path inside
each frame, which their frame-level steps do not fix, is filled in by what each model does there:

- CTRW rests, then jumps at a uniformly random moment of the frame (our waits of at least one frame
  allow at most one jump per frame): a jump at phase u < f moves the mean by (f - u) / f of itself;
- LW flies at constant velocity through the frame: the mean moves by f / 2 of the frame's step (exact
  for andi's whole-frame flights; ours may turn inside a frame, which this straightens);
- ATTM and SBM diffuse: the path is a Brownian bridge between the frame positions, whose mean over the
  exposure is the linear one (f / 2 of the step) plus an independent Gaussian of variance
  v (f / 3 - f^2 / 4), v the per-axis step variance there (estimated as the mean square of the 5 steps
  around it). For Brownian motion this gives the exact blurred steps: variance 1 - f / 3 of the
  unblurred, lag-1 correlation f / (6 - 2 f) (0.25 at f = 1), none beyond.
"""

from __future__ import annotations

import numpy as np

from .fbm import fgn_2d
from .models import generate_steps

LOCAL_STEPS = 5  # steps whose mean square gives the local variance of a diffusing model's bridge
MIN_EXPOSURE = 1e-3  # shortest exposure simulated (shorter ones lose digits in FBM's blurred covariance)


def check_exposure(exposure, n: int | None = None) -> np.ndarray | float:
    """A scalar or one exposure per trajectory ((n,)), each 0 or in [MIN_EXPOSURE, 1]; raises naming the
    problem."""
    e = np.asarray(exposure, dtype=float)
    if e.ndim not in (0, 1) or (e.ndim == 1 and n is not None and e.shape != (n,)):
        raise ValueError(f"exposure must be a scalar or have shape ({n},) - one per trajectory; got shape {e.shape}")
    if not np.all(np.isfinite(e) & (e >= 0) & (e <= 1)):
        raise ValueError(f"exposure (the camera's open time as a fraction of the frame interval) must lie in "
                         f"[0, 1], got {exposure!r}")
    if np.any((e > 0) & (e < MIN_EXPOSURE)):
        raise ValueError(f"exposure must be 0 (instantaneous frames) or at least {MIN_EXPOSURE:g}, got {exposure!r}: "
                         "shorter ones are not simulated (they change the steps by less than the rounding)")
    return float(e) if e.ndim == 0 else e


def _local_variance(steps: np.ndarray) -> np.ndarray:
    """Per-axis variance (k, n) around each step: the mean square over LOCAL_STEPS steps, both axes."""
    sq = 0.5 * (steps**2).sum(axis=2)  # (k, n)
    half = LOCAL_STEPS // 2
    padded = np.pad(sq, ((0, 0), (half, half)), mode="edge")
    cum = np.concatenate([np.zeros((sq.shape[0], 1)), np.cumsum(padded, axis=1)], axis=1)
    return (cum[:, LOCAL_STEPS:] - cum[:, :-LOCAL_STEPS]) / LOCAL_STEPS


def blurred_steps(model: str, alpha: np.ndarray, n_steps: int, exposure: np.ndarray, rng: np.random.Generator,
                  dtype=np.float32, flavor: str = "uandi") -> np.ndarray:
    """Increments (k, n_steps, 2) of frame positions averaged over each row's exposure (k,), in (0, 1]
    (at least MIN_EXPOSURE for FBM; dataset() checks).

    Units: those of generate_steps (FBM: unit variance without blur), for scale-free use where the caller
    rescales each segment.
    """
    exposure = np.asarray(exposure, dtype=float)
    if model == "fbm":  # exact; andi's FBM differs from ours by a constant factor only
        return fgn_2d(rng, np.asarray(alpha, float), n_steps, dtype, exposure=exposure)
    steps = generate_steps(model, alpha, n_steps + 1, rng, np.float64, flavor)  # (k, n + 1, 2): one more frame
    f = exposure[:, None, None]  # (k, 1, 1)
    if model == "ctrw":
        phase = rng.random(steps.shape[:2])[:, :, None]  # (k, n + 1, 1): when in the frame the jump falls
        offset = np.clip((f - phase) / f, 0.0, 1.0) * steps
    elif model == "lw":
        offset = 0.5 * f * steps
    else:  # attm, sbm: a Brownian bridge through each frame
        spread = np.sqrt(_local_variance(steps) * (f[:, :, 0] / 3 - f[:, :, 0] ** 2 / 4))  # (k, n + 1)
        offset = 0.5 * f * steps + spread[:, :, None] * rng.standard_normal(steps.shape)
    # offset[:, j]: frame j's mean position over its exposure minus its position; step j runs j -> j + 1
    return (steps[:, :-1] + offset[:, 1:] - offset[:, :-1]).astype(dtype, copy=False)
