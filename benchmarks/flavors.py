"""The networks on two simulators: ours, and andi-datasets' parametrisations -> docs/results.md (block).

    /tmp/andi-venv/bin/python benchmarks/andi_sets.py --n 2000 --length 500 --out runs/andi-model-500.npz
    /tmp/andi-venv/bin/python benchmarks/andi_sets.py --n 2000 --length 200 --seed 78 --out runs/andi-model-200.npz
    python benchmarks/flavors.py --andi-sets runs/andi-model-200.npz,runs/andi-model-500.npz

Sets (the subtask-2 mix: 2-5 segments, each one of the five models, consecutive models differ, alpha
uniform in the model's range, scale-free segments, no noise), L = 200 and 500:
  - ours: uandi.simulate.dataset, flavor "uandi" (seeds [44, L]);
  - andi flavour: the same with flavor "andi" (uandi.simulate.andi, seeds [45, L]);
  - andi-datasets: made by andi-datasets itself (benchmarks/andi_sets.py), when given.
For each diffusion-model network: point accuracy and the accuracy on the points of each true model.
For each alpha network: the point-wise MAE of alpha on the points of each true model.
The product: `uandi.segment` with both tasks (each point gets its segment's reported alpha: the exact
FBM or SBM likelihood on segments the model network calls FBM or SBM, the alpha network's elsewhere),
for each alpha network, MAE by true model on the first --n-product trajectories of each set.
The gap between "ours" and the other two columns is how much a network has learnt one simulator's
quirks rather than the physics; a user's data comes from neither.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from _report import mean_by_model, per_model_table, scores_by_model, write_block
from uandi.predict import load
from uandi.segmentation import segment
from uandi.simulate import dataset


def load_sets(n: int, andi_sets: list[str]) -> list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, L, x, alpha, model) per set."""
    sets = []
    for length in (200, 500):
        for name, flavor, seed in (("ours", "uandi", 44), ("andi flavour", "andi", 45)):
            d = dataset("model", n, length, np.random.default_rng([seed, length]), flavor=flavor)
            sets.append((name, length, d.x, d.alpha, d.model))
    for path in andi_sets:
        f = np.load(path)
        x = f["x"][:n]
        sets.append(("andi-datasets", x.shape[1], x, f["alpha"][:n], f["model"][:n]))
    order = {"ours": 0, "andi flavour": 1, "andi-datasets": 2}
    return sorted(sets, key=lambda s: (s[1], order[s[0]]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="trajectories per set")
    ap.add_argument("--model", default="diffusion-model", help="comma-separated diffusion-model networks")
    ap.add_argument("--alpha", default="alpha-fbm,alpha-all", help="comma-separated alpha networks")
    ap.add_argument("--andi-sets", default="", help="comma-separated .npz files from benchmarks/andi_sets.py")
    ap.add_argument("--n-product", type=int, default=500, help="trajectories per set for the product rows (0: none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--note", default="", help="a sentence for the page, e.g. what a network path holds")
    ap.add_argument("--out", default="docs/results.md")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    andi_sets = [p for p in a.andi_sets.split(",") if p]
    sets = load_sets(a.n, andi_sets)

    model_rows = scores_by_model(a.model, sets, lambda net, x, alpha, model: net.predict(x) == model)
    alpha_rows = scores_by_model(a.alpha, sets, lambda net, x, alpha, model: np.abs(net.predict(x) - alpha))

    product_rows = []
    model_net = load(a.model.split(",")[0] or "diffusion-model", device="cpu") if a.n_product > 0 else None
    for w in [w for w in a.alpha.split(",") if w and a.n_product > 0]:
        alpha_net = load(w, device="cpu")
        for name, length, x, alpha, model in sets:
            k = min(a.n_product, len(x))
            points, _ = segment(x[:k].astype(np.float64), weights={"alpha": alpha_net, "model": model_net})
            reported = points["segment_alpha"].to_numpy(np.float64).reshape(k, length)
            product_rows.append((w, name, length, *mean_by_model(np.abs(reported - alpha[:k]), model[:k])))
            print("product", product_rows[-1], flush=True)

    cmd = (f"python benchmarks/flavors.py --n {a.n} --n-product {a.n_product} --threads {a.threads} "
           f"--model {a.model} --alpha {a.alpha}" + (f" --andi-sets {a.andi_sets}" if andi_sets else ""))
    lines = ["## The networks on other people's simulations", "",
             f"Reproduce: `{cmd}` ({time.time() - t0:.0f} s; the andi-datasets sets are made "
             "by `benchmarks/andi_sets.py` in the andi environment, see its docstring)." + (f" {a.note}" if a.note else ""),
             "",
             f"{a.n} trajectories per set of the subtask-2 mix (2-5 scale-free segments, each one of the five "
             "models, alpha uniform in its range, no noise): **ours** = our simulator, **andi flavour** = our "
             "simulator with andi-datasets' parametrisations (`flavor=\"andi\"`), **andi-datasets** = segments made "
             "by andi-datasets 2.1.13 itself. A network that learnt physics rather than one simulator's quirks "
             "scores alike on all three.", "",
             "### Diffusion model: point accuracy, and by true model", ""]
    lines += per_model_table(["network", "set", "L", "accuracy"], model_rows)
    lines += ["", "### Alpha: point-wise MAE, and by true model", ""]
    lines += per_model_table(["network", "set", "L", "all points"], alpha_rows)
    lines += ["", f"### Alpha as `uandi segment` reports it (both tasks, `{a.model.split(',')[0]}` classifying; "
              f"{a.n_product} trajectories per set)", "",
              "Each point gets its segment's reported alpha: the exact FBM or SBM likelihood where the model "
              "network says FBM or SBM, the alpha network's segment mean elsewhere.", ""]
    lines += per_model_table(["alpha network", "set", "L", "all points"], product_rows)
    text = "\n".join(lines)
    print(text)
    write_block(Path(a.out), "flavors", text)


if __name__ == "__main__":
    main()
