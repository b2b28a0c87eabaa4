"""`uandi segment` (both tasks) under localization noise, for one or more five-model alpha networks ->
docs/experiments.md (block product_noise).

    python benchmarks/product_noise.py --alpha runs/before-noise/alpha-all.safetensors,alpha-all

What a user gets, not what a network scores: on the subtask-2 mix (both flavours, seeds [83, L] as
benchmarks/noise_robustness.py) with noise sigma_n 0, 0.3 and 0.5 of the step, each alpha network beside
the shipped diffusion-model network, with the changepoint rule in its own card: the point-wise MAE of the
alpha each point's segment reports (the exact likelihood's on segments surely FBM or SBM, the network's
mean elsewhere), the changepoint F1 (10-frame tolerance), the number of segments, and the share of the
likelihood's segments whose interval alpha +- 1.96 alpha_se holds the true alpha of most of their points.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, pin_threads, reproduce_command, write_block  # noqa: E402  (no thread pool)
from alpha_error import segment_truth  # noqa: E402  (imports numpy only when called)

NOISES = (0.0, 0.3, 0.5)


def product_scores(x, alpha, changepoints, weights: str, workers: int) -> list:
    import numpy as np

    import uandi
    from uandi.metrics import changepoint_scores

    points, seg = uandi.segment(x, weights={"alpha": weights}, workers=workers)
    reported = points.pivot(index="track_id", columns="frame", values="segment_alpha").to_numpy()
    found = [seg.first_frame[(seg.track_id == k) & (seg.segment > 0)].to_numpy() for k in range(len(x))]
    lik = seg.alpha_method.str.startswith("likelihood").to_numpy()
    truth = segment_truth(alpha, seg)
    held = np.abs(seg.alpha.to_numpy() - truth)[lik] <= 1.96 * seg.alpha_se.to_numpy()[lik]
    return [f"{np.abs(reported - alpha).mean():.3f}", f"{changepoint_scores(found, changepoints)['f1']:.3f}",
            str(len(seg)), f"{held.mean():.3f} ({lik.sum()})"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alpha", default="alpha-all", help="comma-separated five-model alpha networks")
    ap.add_argument("--n", type=int, default=300, help="tracks per set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="docs/experiments.md")
    a = ap.parse_args(argv)
    pin_threads(a.threads)
    import numpy as np
    import torch

    torch.set_num_threads(a.threads)
    from uandi.simulate import dataset

    start = time.time()
    rows = []
    for length in (200, 500):
        for noise in NOISES:
            d = dataset("model", a.n, length, np.random.default_rng([83, length]), noise=noise,
                        flavor=["uandi", "andi"])
            for name in a.alpha.split(","):
                rows.append([name, str(length), f"{noise:g}",
                             *product_scores(d.x, d.alpha, d.changepoints, name, a.threads)])
                print(" | ".join(rows[-1]), flush=True)
    text = "\n".join([f"`{reproduce_command('product_noise.py', ap, a)}` ({a.threads} thread(s), "
                      f"{(time.time() - start) / 60:.0f} min; {a.n} tracks per set)", "",
                      *markdown_table(["alpha network", "L", "noise", "MAE of the reported alpha", "changepoint F1",
                                       "segments", "likelihood's segments: held (count)"], rows)])
    print(text)
    write_block(a.out, "product_noise", text)


if __name__ == "__main__":
    main()
