"""Alpha with the localization error known, fitted or tested for -> docs/likelihood.md part J.

    python benchmarks/known_noise.py --write docs/likelihood.md      # ~5 min on one core

Localization noise and a lower alpha look alike to the likelihood (the alpha-noise ridge), so fitting
the noise costs alpha much of its precision. SPT software reports the localization precision, and a
user who gives it (`uandi segment --localization-error SIGMA`, `fit_segments(noise=SIGMA)`) gets it
fixed in every segment (likelihood._KnownNoise). Measured here:
  - single FBM segments with known ends (exact sampling, K = 1, alpha uniform in 0.2-1.8, --m per
    cell) of 50, 150 and 500 steps, with noise sigma of 0.1, 0.3 and 0.6 of the RMS step per axis
    (sqrt(2 K)): MAE of alpha and coverage of its 95 % interval for noise "auto" (tested per segment, the
    product's default until 2026-12-01), "track" (one segment here: its own sigma searched and fixed;
    the default since), True (fitted in every segment), sigma known, and sigma stated at half and at twice its
    true value (a user's error);
  - the same segments' K: coverage of its 95 % interval (log K +- 1.96 K_se / K) in each mode;
  - the product's path: `uandi.segment(..., tasks=("alpha",))` on --tracks two-segment tracks of 400
    points (alpha jump 0.3-1.0, the change in [100, 300], K = 1) with noise of 0.3 and 0.6 of the step,
    by default and with localization_error: point-wise MAE of the reported alpha, and the coverage of the
    segments' intervals against the alpha of most of their points.
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
import torch  # noqa: E402

from likelihood import sample_fbm  # noqa: E402
import uandi  # noqa: E402
from uandi.likelihood import fit_segments  # noqa: E402

STEP = np.sqrt(2.0)  # RMS step per axis at K = 1
MODES = (("auto", "auto"), ("track", "track"), ("fitted", True), ("known", 1.0), ("stated x0.5", 0.5),
         ("stated x2", 2.0))


def segment_rows(m: int) -> list:
    rows = []
    for n_steps in (50, 150, 500):
        for frac in (0.1, 0.3, 0.6):
            rng = np.random.default_rng([29, n_steps, int(frac * 10)])
            alphas = rng.uniform(0.2, 1.8, m)
            sigma = frac * STEP
            segs = [sample_fbm(rng, a, 1.0, sigma, n_steps, 1)[0] for a in alphas]
            row = dict(n=n_steps, frac=frac)
            for name, mode in MODES:
                t = time.time()
                fit = fit_segments(segs, noise=mode if isinstance(mode, str) or mode is True else mode * sigma)
                ok = np.isfinite(fit.alpha_se) & ~fit.at_bound
                ok_k = np.isfinite(fit.K_se) & ~fit.at_bound
                row[name] = (float(np.abs(fit.alpha - alphas).mean()),
                             float(np.mean(np.abs(fit.alpha[ok] - alphas[ok]) <= 1.96 * fit.alpha_se[ok])),
                             time.time() - t,
                             float(np.mean(np.abs(np.log(fit.K[ok_k])) <= 1.96 * fit.K_se[ok_k] / fit.K[ok_k])))
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
    return rows


def two_segment_tracks(rng, n: int, sigma: float, length: int = 400) -> tuple[np.ndarray, np.ndarray]:
    xs, truth = [], []
    for _ in range(n):
        cp = int(rng.integers(100, length - 100))
        a1 = rng.uniform(0.2, 1.8)
        a2 = float(np.clip(a1 + rng.choice([-1, 1]) * rng.uniform(0.3, 1.0), 0.1, 1.9))
        first = sample_fbm(rng, a1, 1.0, 0.0, cp, 1)[0]
        second = sample_fbm(rng, a2, 1.0, 0.0, length - cp, 1)[0]
        x = np.concatenate([first, first[-1] + second[1:]])
        xs.append(x + sigma * rng.standard_normal(x.shape))
        truth.append(np.r_[np.full(cp, a1), np.full(length - cp, a2)])
    return np.array(xs), np.array(truth)


def product_rows(n: int) -> list:
    rows = []
    for frac in (0.3, 0.6):
        sigma = frac * STEP
        x, truth = two_segment_tracks(np.random.default_rng([31, int(frac * 10)]), n, sigma)
        row = dict(frac=frac, tracks=n)
        for name, given in (("default", None), ("known", sigma)):
            t = time.time()
            _, seg = uandi.segment(x, tasks=("alpha",), localization_error=given)
            seconds = time.time() - t
            err, hits = [], []
            for r in seg.itertuples():
                a = truth[int(r.track_id), int(r.first_frame) : int(r.last_frame) + 1]
                err.append(np.abs(r.alpha - a).sum())
                if np.isfinite(r.alpha_se):
                    values, counts = np.unique(a, return_counts=True)
                    hits.append(abs(r.alpha - values[counts.argmax()]) <= 1.96 * r.alpha_se)
            row[name] = (float(np.sum(err) / truth.size), float(np.mean(hits)), len(seg), seconds)
        rows.append(row)
        print(row, file=sys.stderr, flush=True)
    return rows


def table(segs: list, product: list, cmd: str, seconds: float) -> str:
    names = [name for name, _ in MODES]
    def mode_table(cell) -> list:  # one row per (steps, noise), one column per mode
        rows = ["| steps | sigma / RMS step | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        return rows + [f"| {r['n']} | {r['frac']:g} | " + " | ".join(cell(r[k]) for k in names) + " |" for r in segs]

    lines = ["## J. The localization error known, fitted or tested", "",
             f"Reproduce: `{cmd}` ({seconds / 60:.0f} min, one core). See the benchmark's docstring. Each cell: "
             "MAE of alpha / coverage of its 95 % interval.", ""]
    lines += mode_table(lambda v: f"{v[0]:.3f} / {v[1]:.2f}")
    lines += ["", "K's error bars on the same segments (true K = 1): coverage of the 95 % interval log K +- 1.96 K_se / K:",
              ""]
    lines += mode_table(lambda v: f"{v[3]:.2f}")
    lines += ["", "The product's path (changepoints found; two-segment tracks, 400 points):", "",
              "| sigma / RMS step | tracks | default (one noise per track, searched): MAE / coverage / segments | "
              "--localization-error given: MAE / coverage / segments |", "|---|---|---|---|"]
    for r in product:
        lines.append(f"| {r['frac']:g} | {r['tracks']} | {r['default'][0]:.3f} / {r['default'][1]:.2f} / {r['default'][2]} | "
                     f"{r['known'][0]:.3f} / {r['known'][1]:.2f} / {r['known'][2]} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--m", type=int, default=300, help="segments per cell (first table)")
    ap.add_argument("--tracks", type=int, default=300, help="tracks per noise level (product's path)")
    ap.add_argument("--write", help="docs page to write the block into")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    segs = segment_rows(args.m)
    product = product_rows(args.tracks)
    cmd = reproduce_command(__file__, ap, args)
    text = table(segs, product, cmd, time.time() - t0)
    print(text)
    if args.write:
        write_block(args.write, "known_noise", text)


if __name__ == "__main__":
    main()
