"""The exact SBM likelihood (uandi.likelihood_sbm) on simulated SBM -> docs/likelihood.md (block "sbm").

    python benchmarks/likelihood_sbm.py --write docs/likelihood.md

Segments of n = 50, 200 and 500 steps of SBM from both simulator flavours (ours: clock from the
segment's start, K = 1; andi-datasets': the offset path, K = 1/2), 500 per row, fitted with
starts="exact" (clock offsets 0 and 1): the bias of alpha with its standard error, the spread, the mean
reported standard error, their ratio, the coverage of alpha +- 1.96 se, the share of fits whose likeliest
clock offset is the right one, and K / K_true (median; K_true the K of the segment's MSD, 2 K n^alpha).
Then, at n = 200 (our flavour), the product's starts="found" (offsets 0-16, averaged) on the same kind of
segments and on segments whose first 6 frames are cut off (a start found late), beside "exact" on those.
Also plain Brownian motion (FBM at alpha = 1), which SBM contains at alpha = 1.
Then localization noise (block "sbm_noise"): our flavour at n = 200 and 500, white noise of 0, 0.3 and
0.5 of each segment's RMS step on every position, fitted as the product does (starts="found") with the
noise modelled (noise=True, the default) and without it (noise=False): bias and MAE of alpha, the coverage
of alpha +- 1.96 se, the share of fits that kept a noise, their sigma / the true sigma (median), the share
at alpha's edge (no se, left out of the coverage), and the seconds per 100 segments of each.
"""

from __future__ import annotations

import argparse
import time

from _report import single_thread, write_block

single_thread()

import numpy as np  # noqa: E402

from uandi.likelihood_sbm import CLOCK_OFFSETS, fit_sbm_segments  # noqa: E402
from uandi.simulate import trajectories  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--m", type=int, default=500, help="segments per row")
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    rng = np.random.default_rng(2026)
    t0 = time.time()
    rows = []
    cases = [(f, n, al, "exact", 0) for f in ("uandi", "andi") for n in (50, 200, 500)
             for al in (0.2, 0.6, 1.0, 1.4, 1.8)]
    for starts, cut in (("found", 0), ("found", 6), ("exact", 6)):
        cases += [("uandi", 200, al, starts, cut) for al in (0.2, 0.6, 1.0, 1.4, 1.8)]
    for flavor, n, alpha, starts, cut in cases:
        x = trajectories("sbm", a.m, n + 1 + cut, alpha, rng, flavor=flavor)[:, cut:]
        f = fit_sbm_segments(list(x), starts=starts)
        ok = ~f.at_bound
        z = np.abs(f.alpha[ok] - alpha) / f.alpha_se[ok]
        right = (0.0 if flavor == "uandi" else 1.0) + cut  # "-" where the right offset is not among those tried
        right_t0 = np.mean(f.clock_offset == right) if right in CLOCK_OFFSETS[starts][0] else np.nan
        clock_k = 1.0 if flavor == "uandi" else 0.5  # the K of the SBM clock; the K of the segment's MSD:
        offset = cut + (0.0 if flavor == "uandi" else 1.0)
        k_true = clock_k * ((n + offset) ** alpha - offset**alpha) / n**alpha
        rows.append((flavor, n, alpha, f"{starts}" + (f", start {cut} frames late" if cut else ""),
                     f.alpha.mean() - alpha, f.alpha.std() / np.sqrt(a.m), f.alpha.std(),
                     np.nanmean(f.alpha_se[ok]), np.mean(z < 1.96), right_t0, np.median(f.K) / k_true, 1 - ok.mean()))
        print(rows[-1], flush=True)
    x = trajectories("fbm", a.m, 201, 1.0, rng)
    f = fit_sbm_segments(list(x), starts="exact")
    brownian = (f.alpha.mean() - 1.0, f.alpha.std())
    lines = [f"`python benchmarks/likelihood_sbm.py --m {a.m}` ({a.m} segments per row, one thread, "
             f"{time.time() - t0:.0f} s).", "",
             "| flavour | steps | alpha | starts | bias (+- its se) | spread | mean se | se / spread | 95 % coverage "
             "| right clock offset | K / K_true (median) | at the edge |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for flavor, n, alpha, starts, bias, bias_se, spread, se, cover, t0_ok, k_ratio, edge in rows:
        lines.append(f"| {flavor} | {n} | {alpha:g} | {starts} | {bias:+.4f} (+-{bias_se:.4f}) | {spread:.4f} | {se:.4f} | "
                     f"{se / spread:.2f} | {cover:.3f} | {'-' if np.isnan(t0_ok) else f'{t0_ok:.2f}'} | {k_ratio:.3f} | {edge:.2f} |")
    lines += ["", f"Brownian motion (FBM at alpha = 1, 200 steps): SBM alpha bias {brownian[0]:+.4f}, "
              f"spread {brownian[1]:.4f}."]
    text = "\n".join(lines)
    print(text)
    noise_text = noise_table(a.m, rng)
    print(noise_text)
    if a.write:
        write_block(a.write, "sbm", text)
        write_block(a.write, "sbm_noise", noise_text)


def noise_table(m: int, rng: np.random.Generator) -> str:
    """The block "sbm_noise" (the module's docstring)."""
    start = time.time()
    lines = ["| steps | alpha | noise / RMS step | fit | bias | MAE | 95 % coverage | noise kept | sigma / true "
             "(median) | at the edge | s per 100 segments |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in (200, 500):
        for alpha in (0.2, 0.6, 1.0, 1.4, 1.8):
            x = trajectories("sbm", m, n + 1, alpha, rng)
            rms = np.sqrt(np.mean(np.diff(x, axis=1) ** 2, axis=(1, 2)))  # (m,) per axis
            for level in (0.0, 0.3, 0.5):
                sigma = level * rms
                noisy = list(x + sigma[:, None, None] * rng.standard_normal(x.shape))
                for noise in (False, True):
                    t = time.time()
                    f = fit_sbm_segments(noisy, noise=noise)
                    seconds = (time.time() - t) * 100 / m
                    ok = ~f.at_bound
                    held = np.mean(np.abs(f.alpha[ok] - alpha) <= 1.96 * f.alpha_se[ok])
                    kept = f.sigma > 0
                    ratio = f"{np.median(f.sigma[kept] / sigma[kept]):.2f}" if level > 0 and kept.any() else "-"
                    lines.append(f"| {n} | {alpha:g} | {level:g} | {'with noise' if noise else 'no noise'} | "
                                 f"{np.mean(f.alpha - alpha):+.3f} | {np.mean(np.abs(f.alpha - alpha)):.3f} | "
                                 f"{held:.3f} | {np.mean(kept):.2f} | {ratio} | {1 - ok.mean():.2f} | {seconds:.2f} |")
                    print(lines[-1], flush=True)
    head = (f"`python benchmarks/likelihood_sbm.py --m {m}` ({m} segments per row, our flavour, starts \"found\", "
            f"one thread, {time.time() - start:.0f} s).")
    return "\n".join([head, ""] + lines)


if __name__ == "__main__":
    main()
