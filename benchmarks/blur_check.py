"""Does the motion-blur notice fire on blurred tracks and stay silent on sharp ones? -> docs/likelihood.md part I.

    python benchmarks/blur_check.py --write docs/likelihood.md      # ~4 min on one core

A camera that integrates light over the exposure makes consecutive steps positively correlated, which a
blur-free likelihood reads as super-diffusion. `refine_segments` cuts the FBM segments it fits into
stretches of 128 steps (at most 200), fits each with localization noise at exposure 0 and at a whole
frame (likelihood.blur_evidence), and gives a notice when the mean log-likelihood gain per stretch,
less two standard errors, clears 0.5 (postprocess.blur_notice). Measured here:
  - files of FBM tracks (300 points, alpha uniform in 0.2-1.9 per track, K = 1, localization noise
    s = sigma / sqrt(K) of 0 or 0.3), --files files of 10 and of 100 tracks each, camera exposure 0
    (sharp), 0.5 or 1 of the frame: how often the notice fires (rule applied to blur_evidence of the
    whole tracks), the mean gain per stretch, and the median alpha of the sharp and the blurred fit on
    the blurred files;
  - the product's path on the simulated sets it is tested on (no blur in them): the subtask-1 sets of
    benchmarks/likelihood.py (Predictor.segment, the first --n tracks) and the five-model set at L = 500
    (uandi.segment with both networks): does the notice fire;
  - Granik's Brownian beads (real, camera blur expected), uandi.segment --tasks alpha;
  - the check's own cost, cold and warm.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import reproduce_command, single_thread, write_block  # noqa: E402

single_thread()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from likelihood import SETS, sample_fbm  # noqa: E402
import uandi  # noqa: E402
from uandi.likelihood import blur_evidence  # noqa: E402
from uandi.notices import UandiNotice  # noqa: E402
from uandi.postprocess import blur_notice  # noqa: E402
from uandi.predict import load  # noqa: E402
from uandi.simulate import dataset  # noqa: E402

BEADS = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "granik2019_brownian_beads.mat"
LENGTH = 300  # points per simulated track


def file_rows(n_files: int) -> list:
    rows = []
    for exposure in (0.0, 0.5, 1.0):
        for s in (0.0, 0.3):
            for size in (10, 100):
                rng = np.random.default_rng([23, int(exposure * 10), int(s * 10), size])
                fired, gains, sharp, blurred = 0, [], [], []
                files = n_files if size == 10 else max(n_files // 5, 4)
                for _ in range(files):
                    tracks = [sample_fbm(rng, rng.uniform(0.2, 1.9), 1.0, s, LENGTH - 1, 1, exposure)[0] for _ in range(size)]
                    ev = blur_evidence(tracks)
                    fired += blur_notice(ev) is not None
                    gains.append(ev.gain.mean())
                    sharp.append(np.median(ev.alpha_sharp))
                    blurred.append(np.median(ev.alpha_blurred))
                row = dict(exposure=exposure, s=s, size=size, files=files, fired=fired / files,
                           gain=float(np.mean(gains)), sharp=float(np.median(sharp)), blurred=float(np.median(blurred)))
                rows.append(row)
                print(row, file=sys.stderr, flush=True)
    return rows


def notices(call) -> bool:
    """Run call(); whether the blur notice fired."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UandiNotice)
        call()
    return any("motion-blurred" in str(w.message) for w in caught)


def cost() -> tuple[float, float]:
    """Seconds of one blur_evidence call on 200 stretches (100 tracks of 300 points): the first in
    this process (the blurred model's factors built), then again."""
    rng = np.random.default_rng([23, 99])
    tracks = [sample_fbm(rng, rng.uniform(0.2, 1.9), 1.0, 0.1, LENGTH - 1, 1)[0] for _ in range(100)]
    seconds = []
    for _ in range(2):
        t = time.time()
        blur_evidence(tracks)
        seconds.append(time.time() - t)
    return seconds[0], seconds[1]


def product_rows(n: int) -> list:
    rows = []
    net = load("alpha")
    for name, length, opts, seed in SETS:
        d = dataset("alpha", n, length, np.random.default_rng([11, seed]), **opts)
        fired = notices(lambda: net.segment(d.x.astype(np.float64)))
        rows.append(dict(name=f"subtask 1, {name}", tracks=n, fired=fired))
        print(rows[-1], file=sys.stderr, flush=True)
    d = dataset("model", n, 500, np.random.default_rng([12, 2]))
    fired = notices(lambda: uandi.segment(d.x.astype(np.float64)))
    rows.append(dict(name="five models, L=500 (both networks)", tracks=n, fired=fired))
    print(rows[-1], file=sys.stderr, flush=True)
    if BEADS.exists():
        fired = notices(lambda: uandi.segment(BEADS, tasks=("alpha",)))
        rows.append(dict(name="Granik's Brownian beads (real)", tracks=3420, fired=fired))
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def table(files: list, product: list, cmd: str, seconds: float, cost: tuple) -> str:
    lines = ["## I. The motion-blur notice", "",
             f"Reproduce: `{cmd}` ({seconds / 60:.0f} min, one core). See the benchmark's docstring; s is the "
             "localization error over sqrt(K), exposure the camera's open fraction of each frame. The check "
             f"costs {cost[0]:.1f} s on 200 stretches the first time in a process, {cost[1]:.1f} s after.", "",
             "| exposure | s | tracks per file | files | notice fired | mean gain per stretch | median alpha: "
             "sharp fit / blurred fit |", "|---|---|---|---|---|---|---|"]
    for r in files:
        lines.append(f"| {r['exposure']:g} | {r['s']:g} | {r['size']} | {r['files']} | {r['fired']:.0%} | "
                     f"{r['gain']:+.2f} | {r['sharp']:.2f} / {r['blurred']:.2f} |")
    lines += ["", "The product's path (no blur simulated; the beads are real):", "",
              "| input | tracks | notice fired |", "|---|---|---|"]
    for r in product:
        lines.append(f"| {r['name']} | {r['tracks']} | {'yes' if r['fired'] else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=100, help="simulated files of 10 tracks per row (of 100: a fifth)")
    ap.add_argument("--n", type=int, default=1000, help="tracks per simulated set on the product's path")
    ap.add_argument("--write", help="docs page to write the block into")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    seconds = cost()
    files = file_rows(args.files)
    product = product_rows(args.n)
    cmd = reproduce_command(__file__, ap, args)
    text = table(files, product, cmd, time.time() - t0, seconds)
    print(text)
    if args.write:
        write_block(args.write, "blur_check", text)


if __name__ == "__main__":
    main()
