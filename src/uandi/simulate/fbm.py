"""Fractional Brownian motion: Gaussian, stationary power-law correlated increments (fGn), H = alpha / 2.

Sampled exactly by circulant embedding (Davies-Harte): one FFT of the autocovariance gives the
eigenvalues, one FFT of complex white noise gives two independent fGn paths (its real and imaginary
parts), which serve as the x and y axes. The circulant is embedded at an FFT-friendly even size
m >= 2 n_steps (any such size is exact: the first n_steps values have the fGn covariance).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from ._common import normal_pairs, positions_from_steps


def _fgn_autocovariance(alpha: np.ndarray, half: int) -> np.ndarray:
    """Autocovariance (n, half + 1) of unit-variance fGn at lags 0..half."""
    # k^alpha for k = 0..half + 1 (one exp per lag); gamma(k) is its second difference
    logk = np.log(np.arange(1, half + 2, dtype=float))
    powers = np.zeros((alpha.shape[0], half + 2))
    powers[:, 1:] = np.exp(alpha[:, None] * logk[None, :])
    first_half = np.empty((alpha.shape[0], half + 1))  # lags 0..half
    first_half[:, 0] = 1.0
    first_half[:, 1:] = 0.5 * (powers[:, 2:] - 2.0 * powers[:, 1:-1] + powers[:, :-2])
    return first_half


BLUR_LAGS = 32  # lags computed with the blurred formula; beyond, blur changes the covariance by < 1e-3 relative


def blurred_fgn_autocovariance(alpha: np.ndarray, exposure: np.ndarray, half: int) -> np.ndarray:
    """Autocovariance (n, half + 1) of the increments of FBM positions averaged over an exposure (a
    fraction of the frame, per row, in [MIN_EXPOSURE, 1]), scaled so that the unblurred series has unit
    variance: half of uandi.likelihood.increment_autocovariance(alpha, ..., exposure=...).

    The blurred formula is a fourth difference of |t|^(alpha + 2) divided by exposure^2, which loses
    digits as the lag grows and the exposure shrinks (at lag 1000, exposure 0.01, alpha 1.95 it is off
    by 0.3); it is used below BLUR_LAGS (rounding ~2e-11 / exposure^2 there), and the unblurred
    autocovariance beyond, where the two differ by O(exposure^2 / lag^2) of the value.
    """
    a = alpha[:, None]
    tau = exposure[:, None]
    k = np.arange(min(half, BLUR_LAGS - 1) + 1, dtype=float)[None, :]

    def g(t):
        return np.abs(t) ** (a + 2) / ((a + 1) * (a + 2))

    def h(d):
        return g(d + tau) - 2 * g(d) + g(d - tau)

    out = _fgn_autocovariance(alpha, half)
    out[:, : k.shape[1]] = 0.5 * (h(k + 1) - 2 * h(k) + h(k - 1)) / tau**2
    return out


def circulant_eigenvalues(alpha: np.ndarray, half: int, exposure: np.ndarray | None = None) -> np.ndarray:
    """Eigenvalues (n, 2 half) float64 of the circulant embedding [g0 .. g_half, g_(half-1) .. g1] of fGn
    (of blurred fGn with `exposure`, one per row).

    Non-negative for fGn at every alpha in (0, 2) up to rounding, which is clipped to 0.
    """
    first_half = _fgn_autocovariance(alpha, half) if exposure is None else \
        blurred_fgn_autocovariance(alpha, exposure, half)
    eig = scipy.fft.hfft(first_half, n=2 * half, axis=1)  # real FFT of a symmetric sequence
    return np.maximum(eig, 0.0)


def fgn_2d(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64,
           exposure: np.ndarray | None = None) -> np.ndarray:
    """Two independent unit-variance fGn series per row: (n, n_steps, 2) of `dtype` (float32 or float64);
    with `exposure` (n,) in [0.001, 1], the increments of the FBM's positions averaged over that fraction of
    each frame instead (motion blur, exactly: uandi.simulate.blur).

    The eigenvalues are always computed in float64; float32 only sets the precision of the noise and
    of its FFT (relative error ~1e-7, far below the sampling noise).
    """
    n = alpha.shape[0]
    half = scipy.fft.next_fast_len(n_steps)  # circulant size m = 2 half >= 2 n_steps
    m = 2 * half
    amplitude = np.sqrt(circulant_eigenvalues(alpha, half, exposure) / m).astype(dtype)  # (n, m)
    noise = normal_pairs(rng, (n, m), dtype)  # real and imaginary parts
    complex_noise = noise.view(np.complex64 if dtype == np.float32 else np.complex128)[..., 0]  # (n, m)
    complex_noise *= amplitude
    paths = scipy.fft.fft(complex_noise, axis=1, overwrite_x=True)  # (n, m) complex
    return paths.view(dtype).reshape(n, m, 2)[:, :n_steps]  # real part -> x, imaginary part -> y


def fbm_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D FBM increments (n, n_steps, 2): per-axis MSD 2 t^alpha (K = 1), so each step has variance 2."""
    steps = fgn_2d(rng, alpha, n_steps, dtype)
    steps *= np.sqrt(2.0).astype(dtype)
    return steps


def fbm(rng: np.random.Generator, alpha: np.ndarray, length: int) -> np.ndarray:
    """2D FBM positions (n, length, 2) float64 starting at 0, per-axis MSD = 2 t^alpha."""
    return positions_from_steps(fbm_steps(rng, alpha, length - 1))
