"""Input normalisation for the networks: one function per representation, one dispatcher.

All functions take positions (N, L, 2) (any float dtype, channels last, as users hold them); the
representations return float32 features (N, L, C), and `network_input`, the one way from positions to
what a network reads, returns them channels first, (N, C, L). Each trajectory is normalised on its own,
so the network never sees absolute units.
"""

from __future__ import annotations

import numpy as np

REPRESENTATIONS = {"positions": 2, "increments": 2, "both": 4}  # name -> number of input channels


def unit_scale(x: np.ndarray) -> np.ndarray:
    """Positions (N, L, 2) as float64, each trajectory multiplied by the power of two that brings its
    largest |coordinate| into [0.5, 1).

    Multiplying by a power of two is exact, so every normalisation below gives bit-identical results
    for ordinary numbers, and none of their squares overflows (positions near 1e300) or underflows
    (near 1e-300): results do not depend on the unit of the positions.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    _, exponent = np.frexp(np.abs(x).max(axis=(1, 2), keepdims=True))  # (N, 1, 1)
    return np.ldexp(x, -exponent)


def zscore(x: np.ndarray) -> np.ndarray:
    """The paper's normalisation (Sec. III B): per trajectory and per axis, mean 0 and std 1.

    An axis with zero spread (an immobile track) is only centred.
    """
    x = unit_scale(x)
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    return ((x - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)


def scaled_increments(x: np.ndarray) -> np.ndarray:
    """Increments r_t - r_(t-1) (0 at t = 0, so the length is kept), divided by the trajectory's
    per-axis RMS step - one factor for both axes, so a straight flight keeps its direction."""
    x = unit_scale(x)
    d = np.zeros_like(x)
    d[:, 1:] = np.diff(x, axis=1)
    rms = np.sqrt((d**2).sum(axis=(1, 2), keepdims=True) / (2.0 * max(x.shape[1] - 1, 1)))
    return (d / np.where(rms > 0, rms, 1.0)).astype(np.float32)


def network_input(x: np.ndarray, representation: str) -> np.ndarray:
    """A network's input from positions x (N, L, 2): contiguous float32 features (N, C, L) of the
    `representation` it was trained on ("positions", "increments", "both")."""
    if representation == "positions":
        feats = zscore(x)  # (N, L, 2)
    elif representation == "increments":
        feats = scaled_increments(x)  # (N, L, 2)
    elif representation == "both":
        feats = np.concatenate([zscore(x), scaled_increments(x)], axis=2)  # (N, L, 4)
    else:
        raise ValueError(f"unknown input representation {representation!r}; choose one of {sorted(REPRESENTATIONS)}")
    return np.ascontiguousarray(feats.transpose(0, 2, 1))  # (N, C, L)
