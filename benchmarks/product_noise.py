"""`uandi segment` under localization noise, for one or more alpha networks -> docs/experiments.md (block
product_noise, or product_noise_fbm with --tasks alpha).

    python benchmarks/product_noise.py --alpha runs/before-noise/alpha-all.safetensors,alpha-all --write docs/experiments.md
    python benchmarks/product_noise.py --tasks alpha --alpha alpha,runs/alpha-fbm-noise-b8/best.safetensors \
        --write docs/experiments.md

Without --write the table is only printed, so a run with other networks than a block's own leaves the
block as it is.

What a user gets, not what a network scores: on the subtask-2 mix (both flavours, seeds [83, L] as
benchmarks/noise_robustness.py) with noise sigma_n 0, 0.3 and 0.5 of the step, each alpha network beside
the shipped diffusion-model network, with the changepoint rule in its own card: the point-wise MAE of the
alpha each point's segment reports (the exact likelihood's on segments surely FBM or SBM, the network's
mean elsewhere), the changepoint F1 (10-frame tolerance), the number of segments, and the share of the
likelihood's segments whose interval alpha +- 1.96 alpha_se holds the true alpha of most of their points
(those at the edge of 0.05-1.99, which have no alpha_se, left out and counted).
With --tasks alpha (FBM assumed, the paper's subtask 1): FBM alpha networks on subtask-1 tracks (jump >
0.5, seeds [84, L]) with noise 0, 0.1, 0.3 and 0.5, where the likelihood also chooses the changepoints
among the network's candidates.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, pin_threads, reproduce_command, write_block  # noqa: E402  (no thread pool)
from alpha_error import segment_truth  # noqa: E402  (imports numpy only when called)

NOISES = {"both": (0.0, 0.3, 0.5), "alpha": (0.0, 0.1, 0.3, 0.5)}


def product_scores(x, alpha, changepoints, weights: str, workers: int, tasks=("alpha", "model")) -> list:
    import numpy as np

    import uandi
    from uandi.metrics import changepoint_scores

    points, seg = uandi.segment(x, tasks=tasks, weights={"alpha": weights}, workers=workers)
    reported = points.pivot(index="track_id", columns="frame", values="segment_alpha").to_numpy()
    found = [seg.first_frame[(seg.track_id == k) & (seg.segment > 0)].to_numpy() for k in range(len(x))]
    # the likelihood's segments with an error bar (at the edge of 0.05-1.99 there is none: as
    # alpha_error.coverage, they are left out and counted)
    lik = seg.alpha_method.str.startswith("likelihood").to_numpy()
    has_se = lik & np.isfinite(seg.alpha_se.to_numpy())
    truth = segment_truth(alpha, seg)
    held = np.abs(seg.alpha.to_numpy() - truth)[has_se] <= 1.96 * seg.alpha_se.to_numpy()[has_se]
    return [f"{np.abs(reported - alpha).mean():.3f}", f"{changepoint_scores(found, changepoints)['f1']:.3f}",
            str(len(seg)), f"{held.mean():.3f} ({has_se.sum()}; {lik.sum() - has_se.sum()} at a bound)"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", choices=("both", "alpha"), default="both",
                    help="both tasks on the subtask-2 mix (five-model alpha networks), or the alpha task alone "
                         "on subtask-1 tracks (FBM alpha networks)")
    ap.add_argument("--alpha", help="comma-separated alpha networks (default: the shipped one of --tasks)")
    ap.add_argument("--n", type=int, default=300, help="tracks per set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", metavar="MARKDOWN", help="write the table into this file's block")
    a = ap.parse_args(argv)
    pin_threads(a.threads)
    import numpy as np
    import torch

    torch.set_num_threads(a.threads)
    from uandi.simulate import dataset

    alpha_only = a.tasks == "alpha"
    names = (a.alpha or ("alpha" if alpha_only else "alpha-all")).split(",")
    start = time.time()
    rows = []
    for length in (200, 500):
        for noise in NOISES[a.tasks]:
            if alpha_only:
                d = dataset("alpha", a.n, length, np.random.default_rng([84, length]), noise=noise, min_alpha_jump=0.5)
            else:
                d = dataset("model", a.n, length, np.random.default_rng([83, length]), noise=noise,
                            flavor=["uandi", "andi"])
            for name in names:
                rows.append([name, str(length), f"{noise:g}",
                             *product_scores(d.x, d.alpha, d.changepoints, name, a.threads,
                                             ("alpha",) if alpha_only else ("alpha", "model"))])
                print(" | ".join(rows[-1]), flush=True)
    text = "\n".join([f"`{reproduce_command('product_noise.py', ap, a)}` ({a.threads} thread(s), "
                      f"{(time.time() - start) / 60:.0f} min; {a.n} tracks per set)", "",
                      *markdown_table(["alpha network", "L", "noise", "MAE of the reported alpha", "changepoint F1",
                                       "segments", "likelihood's segments: held (count; at a bound)"], rows)])
    print(text)
    if a.write:
        write_block(a.write, "product_noise_fbm" if alpha_only else "product_noise", text)


if __name__ == "__main__":
    main()
