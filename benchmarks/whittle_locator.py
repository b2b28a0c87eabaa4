"""Could Whittle's approximate likelihood locate each segment's maximum for the exact one? -> docs/likelihood.md (block).

    python benchmarks/whittle_locator.py --write docs/likelihood.md      # ~1 min, one core

Point 6 of the likelihood issue asks the likelihood stage to cost no more than the networks' inference;
the exact likelihood costs O(n^2) per segment and alpha. Whittle's approximation costs one FFT per
segment and O(n) per alpha: the periodogram of the increments against the spectral density of
fractional Gaussian noise (H = alpha / 2, the aliased series summed over 2 x 50 + 1 terms), with K
profiled out. Measured here, on exactly sampled FBM segments without noise (K = 1, alpha uniform in
0.2-1.8, --m per length): how far Whittle's best alpha on the no-noise fits' grid (SCORE_GRID) lies from
the exact maximum-likelihood alpha (fit_segments(noise=False)), the MAE of both against the truth, and
the time of each. Not used by the package (yet): the exact fit would then only be needed a few grid
points around Whittle's maximum.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import reproduce_command, single_thread, write_block  # noqa: E402

single_thread()

import numpy as np  # noqa: E402
from scipy.special import gamma  # noqa: E402

from likelihood import sample_fbm  # noqa: E402
from uandi.likelihood import ALPHA_LATTICE, SCORE_GRID, fit_segments  # noqa: E402


def fgn_spectrum(alpha: float, freq: np.ndarray, terms: int = 50) -> np.ndarray:
    """Spectral density (up to a constant factor absorbed by K) of unit fractional Gaussian noise with
    H = alpha / 2 at angular frequencies freq (J,) in (0, pi]."""
    h = alpha / 2
    k = np.arange(-terms, terms + 1)[:, None]
    aliased = np.sum(np.abs(freq[None, :] + 2 * np.pi * k) ** (-2 * h - 1), axis=0)
    return 2 * np.sin(np.pi * h) * gamma(2 * h + 1) * (1 - np.cos(freq)) * aliased


def whittle_alpha(increments: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Whittle's best alpha on the grid `alphas` for segments of equal length: increments (S, n, 2) ->
    (S,). Both axes share K; K is profiled out (its estimate is the mean of periodogram / spectrum)."""
    n = increments.shape[1]
    freq = 2 * np.pi * np.arange(1, n // 2 + 1) / n  # Fourier frequencies, zero left out
    spectra = np.stack([fgn_spectrum(a, freq) for a in alphas])  # (A, J)
    periodogram = (np.abs(np.fft.fft(increments, axis=1)[:, 1 : n // 2 + 1]) ** 2).sum(-1)  # (S, J) both axes
    ratio = periodogram[None, :, :] / spectra[:, None, :]  # (A, S, J)
    profile = -2 * np.log(spectra).sum(-1)[:, None] - 2 * freq.size * np.log(ratio.mean(-1))  # (A, S)
    return alphas[profile.argmax(axis=0)]


def rows(m: int) -> list:
    out = []
    grid = ALPHA_LATTICE[SCORE_GRID]
    for n in (50, 150, 500):
        rng = np.random.default_rng([41, n])
        truth = rng.uniform(0.2, 1.8, m)
        segments = [sample_fbm(rng, a, 1.0, 0.0, n, 1)[0] for a in truth]
        t = time.time()
        exact = fit_segments(segments, noise=False).alpha
        t_exact = time.time() - t
        t = time.time()
        whittle = whittle_alpha(np.stack([np.diff(s, axis=0) for s in segments]), grid)
        t_whittle = time.time() - t
        d = np.abs(whittle - exact)
        out.append(dict(n=n, m=m, median=float(np.median(whittle - exact)), p95=float(np.percentile(d, 95)),
                        max=float(d.max()), mae_w=float(np.abs(whittle - truth).mean()),
                        mae_e=float(np.abs(exact - truth).mean()), t_w=t_whittle, t_e=t_exact))
        print(out[-1], file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--m", type=int, default=500, help="segments per length")
    ap.add_argument("--write", help="docs page to write the block into")
    args = ap.parse_args()
    table = rows(args.m)
    lines = [f"Reproduce: `{reproduce_command(__file__, ap, args)}` (one core). Exactly sampled FBM segments, no "
             "noise, K = 1, alpha uniform in 0.2-1.8; Whittle's best alpha on the no-noise grid against the exact "
             "maximum-likelihood alpha.", "",
             "| steps | segments | Whittle - exact: median | 95 % of abs | max abs | MAE Whittle | MAE exact | "
             "time Whittle / exact (ms) |", "|---|---|---|---|---|---|---|---|"]
    for r in table:
        lines.append(f"| {r['n']} | {r['m']} | {r['median']:+.3f} | {r['p95']:.3f} | {r['max']:.3f} | {r['mae_w']:.3f} | "
                     f"{r['mae_e']:.3f} | {1000 * r['t_w']:.0f} / {1000 * r['t_e']:.0f} |")
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_block(args.write, "whittle_locator", body)


if __name__ == "__main__":
    main()
