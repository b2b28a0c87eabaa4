"""The diffusion-model network and the product under localization noise -> docs/results.md (block noise).

    python benchmarks/noise_robustness.py                                  # shipped network, ~6 min on 1 thread
    python benchmarks/noise_robustness.py --model diffusion-model,runs/model-noise-b8/best.safetensors
    python benchmarks/noise_robustness.py --alpha alpha-all,runs/alpha-all-noise-b8/best.safetensors

Real tracks carry localization noise of 0.1 to 0.5 of their RMS step and more; the networks were long
trained with at most 0.1. On the subtask-2 mix (2-5 scale-free segments, each segment's flavour drawn
from ours and andi's, --n tracks per set, seeds [83, L]) with noise sigma_n (per-axis standard deviation
relative to each segment's RMS step) from 0 to 0.5, for each diffusion-model network: point accuracy,
the share of all points called with probability >= 0.85 and wrong (a sure wrong answer, which the
product turns into a tight wrong error bar), the expected calibration error, and how often LW points
are called FBM. For each five-model alpha network (--alpha), the point-wise alpha MAE, all points and
per true model. Then the product (`uandi.segment`, the shipped networks unless --product-model):
the share of the exact likelihood's segments whose interval alpha +- 1.96 alpha_se holds the true alpha
of most of their points, and the same for the network's segments (measured error bars,
uandi.alpha_error), on --n-product tracks per set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import markdown_table, pin_threads, reproduce_command, write_block  # noqa: E402  (no thread pool)
from alpha_error import coverage, segment_rows  # noqa: E402  (imports numpy only when called)

NOISES = (0.0, 0.1, 0.2, 0.3, 0.5)
SURE = 0.85  # the product's threshold for a sure class (postprocess.LIKELIHOOD_SETTINGS["min_probability"])


def noisy_set(n: int, length: int, noise: float):
    import numpy as np

    from uandi.simulate import dataset

    return dataset("model", n, length, np.random.default_rng([83, length]), noise=noise, flavor=["uandi", "andi"])


def network_scores(net, d) -> dict:
    """Point accuracy, sure-and-wrong share, ECE (10 bins of the top probability), LW called FBM."""
    import numpy as np

    from uandi.constants import MODELS

    proba = np.stack(net.pointwise(list(d.x), check_input=False))  # (N, L, C)
    top, label = proba.max(-1), proba.argmax(-1)
    right = label == d.model
    bins = np.minimum((top * 10).astype(int), 9)
    ece = sum(abs(top[bins == b].mean() - right[bins == b].mean()) * np.mean(bins == b)
              for b in range(10) if np.any(bins == b))
    lw = d.model == MODELS.index("lw")
    return {"accuracy": right.mean(), "sure_wrong": np.mean((top >= SURE) & ~right), "ece": ece,
            "lw_as_fbm": np.mean(label[lw] == MODELS.index("fbm"))}


def alpha_scores(net, d) -> list:
    """Point-wise alpha MAE: all points, then each true model's points (MODELS order)."""
    import numpy as np

    from uandi.constants import MODELS

    err = np.abs(np.stack(net.pointwise(list(d.x), check_input=False)) - d.alpha)  # (N, L)
    return [float(err.mean())] + [float(err[d.model == i].mean()) for i in range(len(MODELS))]


def product_coverage(d, model, workers: int) -> tuple[float, int, float, int]:
    """(held, count) of the likelihood's segments and of the network's segments with an alpha_se
    (alpha_error.segment_rows and .coverage: against the true alpha of most of each segment's points)."""
    rows = segment_rows(d.x, d.alpha, model or "diffusion-model", workers)
    lik, net = coverage(rows[~rows.network]), coverage(rows[rows.network])
    return lik[0], lik[3], net[0], net[3]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="diffusion-model", help="comma-separated diffusion-model networks")
    ap.add_argument("--alpha", default="alpha-all", help="comma-separated five-model alpha networks")
    ap.add_argument("--product-model", default="", help="the product's diffusion-model network (default: shipped)")
    ap.add_argument("--n", type=int, default=1000, help="tracks per set for the networks")
    ap.add_argument("--n-product", type=int, default=300, help="tracks per set for the product (0: none)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="docs/results.md")
    a = ap.parse_args(argv)
    pin_threads(a.threads)
    import torch

    torch.set_num_threads(a.threads)
    from uandi.predict import load

    start = time.time()
    names = [m for m in a.model.split(",") if m]
    nets = [load(m) for m in names]
    alpha_names = [m for m in a.alpha.split(",") if m]
    alpha_nets = [load(m) for m in alpha_names]
    rows, alpha_rows, product = [], [], []
    for length in (200, 500):
        for noise in NOISES:
            d = noisy_set(a.n, length, noise)
            for name, net in zip(names, nets):
                s = network_scores(net, d)
                rows.append([name, str(length), f"{noise:g}", f"{s['accuracy']:.3f}", f"{s['sure_wrong']:.3f}",
                             f"{s['ece']:.3f}", f"{s['lw_as_fbm']:.2f}"])
                print(" | ".join(rows[-1]), flush=True)
            for name, net in zip(alpha_names, alpha_nets):
                alpha_rows.append([name, str(length), f"{noise:g}", *(f"{v:.3f}" for v in alpha_scores(net, d))])
                print(" | ".join(alpha_rows[-1]), flush=True)
            if a.n_product:
                lik, n_lik, net_held, n_net = product_coverage(noisy_set(a.n_product, length, noise), a.product_model,
                                                              a.threads)
                product.append([str(length), f"{noise:g}", f"{lik:.3f} ({n_lik})", f"{net_held:.3f} ({n_net})"])
                print(" | ".join(product[-1]), flush=True)
    lines = [f"`{reproduce_command('noise_robustness.py', ap, a)}` ({a.threads} thread(s), "
             f"{(time.time() - start) / 60:.0f} min)", "",
             f"Diffusion-model networks on the subtask-2 mix with localization noise sigma_n (relative to each "
             f"segment's RMS step; both flavours, {a.n} tracks per set): point accuracy, the share of all points "
             f"called with probability >= {SURE} and wrong, the expected calibration error, and the share of LW "
             f"points called FBM:", "",
             *markdown_table(["network", "L", "noise", "accuracy", "sure and wrong", "ECE", "LW called FBM"], rows)]
    if alpha_rows:
        from uandi.constants import MODELS

        lines += ["", "Five-model alpha networks on the same sets: point-wise alpha MAE, all points and each true "
                  "model's:", "", *markdown_table(["network", "L", "noise", "all", *MODELS], alpha_rows)]
    if product:
        lines += ["", f"The product (`uandi.segment`, diffusion-model network "
                  f"{a.product_model or 'shipped'}), {a.n_product} tracks per set: the share of segments whose "
                  f"interval alpha +- 1.96 alpha_se holds the true alpha of most of their points (count):", "",
                  *markdown_table(["L", "noise", "likelihood's segments", "network's segments (measured error bars)"],
                                  product)]
    text = "\n".join(lines)
    print(text)
    write_block(a.out, "noise", text)


if __name__ == "__main__":
    main()
