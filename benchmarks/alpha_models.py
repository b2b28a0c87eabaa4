"""Point-wise alpha MAE per diffusion model, for each alpha network -> docs/alpha_models.md.

    python benchmarks/alpha_models.py                       # 2,000 trajectories per length (a few minutes)
    python benchmarks/alpha_models.py --n 500 --out /tmp/alpha_models.md
    python benchmarks/alpha_models.py --weights alpha-fbm,runs/alpha-all-b8   # any networks

The sets are the subtask-2 mix (each segment one of the five models, alpha uniform in that model's
range, consecutive segments of different models, scale-free segments), L = 200 and 500, fixed seeds
[33, L]. The MAE is over the points of each true model (the point's own segment's model). The FBM-only
network (the paper's subtask 1) reads an "FBM-equivalent" exponent from the correlations of the steps;
on ATTM, CTRW and LW segments that is not their alpha, which is why a network trained on all five
models exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from uandi.constants import MODELS
from uandi.predict import load
from uandi.simulate import dataset


def per_model_mae(net, n: int, length: int) -> dict:
    d = dataset("model", n, length, np.random.default_rng([33, length]))
    err = np.abs(net.predict(d.x) - d.alpha)  # (N, L)
    out = {m: float(err[d.model == i].mean()) for i, m in enumerate(MODELS)}
    out["all"] = float(err.mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--weights", default="alpha-fbm,alpha", help="comma-separated networks (names or paths)")
    ap.add_argument("--out", default="docs/alpha_models.md")
    a = ap.parse_args()
    torch.set_num_threads(2)
    rows = []
    for w in a.weights.split(","):
        net = load(w)
        for length in (200, 500):
            rows.append((w, length, per_model_mae(net, a.n, length)))
            print(w, length, rows[-1][2], flush=True)
    lines = ["# Alpha on every diffusion model", "",
             f"Reproduce: `python benchmarks/alpha_models.py --n {a.n} --weights {a.weights}` (2 threads).", "",
             f"Point-wise MAE of alpha by the true model of each point, {a.n} trajectories of the subtask-2 mix "
             "per length (scale-free segments, 2-5 segments, no noise; seeds [33, L]). Alpha ranges: ATTM and "
             "CTRW 0.05-1, FBM 0.05-1.99, LW 1-2, SBM 0.05-2.", "",
             "| network | L | ATTM | CTRW | FBM | LW | SBM | all points |", "|---|---|---|---|---|---|---|---|"]
    for w, length, r in rows:
        lines.append(f"| {w} | {length} | " + " | ".join(f"{r[m]:.3f}" for m in MODELS) + f" | {r['all']:.3f} |")
    Path(a.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
