"""Fractional Brownian motion: Gaussian, stationary power-law correlated increments (fGn), H = alpha / 2.

Sampled exactly by circulant embedding (Davies-Harte): one FFT of the autocovariance gives the
eigenvalues, one FFT of complex white noise gives two independent fGn paths (its real and imaginary
parts), which serve as the x and y axes.
"""

from __future__ import annotations

import numpy as np


def fgn_autocovariance(alpha: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Autocovariance of unit-variance fractional Gaussian noise.

    alpha: (n,) anomalous exponents (2H); lags: (m,) integer lags. Returns (n, m):
    gamma(k) = (|k+1|^alpha - 2|k|^alpha + |k-1|^alpha) / 2.
    """
    a = alpha[:, None]
    k = np.abs(lags.astype(float))[None, :]
    return 0.5 * (np.abs(k + 1) ** a - 2 * k**a + np.abs(k - 1) ** a)


def fgn_2d(rng: np.random.Generator, alpha: np.ndarray, n_steps: int) -> np.ndarray:
    """Two independent unit-variance fGn series per row: (n, n_steps, 2)."""
    n = alpha.shape[0]
    m = 2 * n_steps  # circulant size
    # k^alpha for k = 0..n_steps + 1 once (one exp per lag); gamma(k) is its second difference
    logk = np.log(np.maximum(np.arange(n_steps + 2, dtype=float), 1e-300))
    powers = np.exp(alpha[:, None] * logk[None, :])  # (n, n_steps + 2)
    powers[:, 0] = 0.0
    gamma = 0.5 * (powers[:, 2:] - 2.0 * powers[:, 1:-1] + powers[:, :-2])  # lags 1..n_steps
    half = np.concatenate([np.ones((n, 1)), gamma], axis=1)  # lags 0..n_steps: the circulant's first half
    # eigenvalues of the symmetric circulant [g0 .. g_n, g_(n-1) .. g1]: a real FFT of its first half
    eig = np.fft.hfft(half, n=m, axis=1)  # (n, m), real; non-negative for fGn up to rounding
    eig = np.maximum(eig, 0.0)
    noise = rng.standard_normal((n, m)) + 1j * rng.standard_normal((n, m))
    paths = np.fft.fft(np.sqrt(eig / m) * noise, axis=1)[:, :n_steps]  # (n, n_steps) complex
    return np.stack([paths.real, paths.imag], axis=-1)


def fbm(rng: np.random.Generator, alpha: np.ndarray, length: int, diffusion: float = 1.0) -> np.ndarray:
    """2D FBM positions (n, length, 2) starting at 0, per-axis MSD = 2 K t^alpha with K = diffusion."""
    steps = fgn_2d(rng, alpha, length - 1) * np.sqrt(2.0 * diffusion)  # (n, length - 1, 2)
    out = np.zeros((alpha.shape[0], length, 2))
    np.cumsum(steps, axis=1, out=out[:, 1:])
    return out
