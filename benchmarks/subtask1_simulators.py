"""Subtask 1 (`uandi segment --tasks alpha`) on FBM from our simulator and from andi-datasets -> docs/results.md.

    /tmp/andi-venv/bin/python benchmarks/andi_sets.py --task alpha --n 2000 --length 200 --seed 79 --out runs/andi-alpha-200.npz
    /tmp/andi-venv/bin/python benchmarks/andi_sets.py --task alpha --n 2000 --length 500 --seed 80 --out runs/andi-alpha-500.npz
    python benchmarks/subtask1_simulators.py --andi-sets runs/andi-alpha-200.npz,runs/andi-alpha-500.npz --write docs/results.md

The same composition twice (2-5 FBM segments, alpha uniform in [0.05, 1.99], consecutive alphas more than
0.5 apart, each segment scaled to a unit RMS step, no noise): ours are the first --n tracks of
benchmarks/accuracy.py's sets (seeds [11, 1] and [11, 2]); andi-datasets' come from its own FBM generator
(benchmarks/andi_sets.py --task alpha, in the andi environment). Per set: the FBM network's point-wise MAE
alone, the product's (`Predictor.segment`: the network's candidates, the likelihood's changepoints and each
segment's exact alpha) MAE and changepoint F1, and the floor: each true segment's exact alpha (fit_segments,
one localization error per track, as the product), i.e. the MAE with the changepoints known. FBM is one
Gaussian process, so every column should agree between the two simulators to within the sets' spread; a
gap would be our simulator's quirk learnt, or a bug.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import pin_threads  # noqa: E402  (imports nothing that starts a thread pool)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--andi-sets", required=True, help="comma-separated .npz files from andi_sets.py --task alpha")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    pin_threads(a.threads)  # before numpy is imported
    import numpy as np
    import torch

    from _report import markdown_table, write_block
    from accuracy import ALPHA_SETS
    from likelihood import pointwise_alpha
    from uandi.metrics import changepoint_scores
    from uandi.predict import load
    from uandi.simulate import dataset

    torch.set_num_threads(a.threads)
    net = load("alpha-fbm")
    sets = []
    for path in a.andi_sets.split(","):
        f = np.load(path)
        length = f["x"].shape[1]
        index = next(i for i, s in enumerate(ALPHA_SETS) if s[1:] == (length, {"min_alpha_jump": 0.5}))
        d = dataset("alpha", a.n, length, np.random.default_rng([11, index]), min_alpha_jump=0.5)
        sets.append((f"ours, L={length}", d.x, d.alpha, d.changepoints))
        cps = [c[c >= 0] for c in f["changepoints"][: a.n]]
        sets.append((f"andi-datasets, L={length}", f["x"][: a.n], f["alpha"][: a.n], cps))
    rows = []
    for name, x, alpha, truth in sets:
        tracks = list(np.asarray(x, dtype=np.float64))
        network = np.clip(np.stack(net.pointwise(tracks)), 0.05, 2.0)
        found = net.segment(tracks, workers=1)
        product = np.stack([np.repeat(np.clip(s["alpha"], 0.05, 2.0), s.lengths) for s in found])
        f1 = changepoint_scores([s.changepoints for s in found], truth)["f1"]
        known = pointwise_alpha(np.asarray(x, dtype=np.float64), truth, noise="track")  # the product's noise mode
        mae = lambda est: float(np.abs(np.asarray(est).ravel() - np.asarray(alpha).ravel()).mean())  # noqa: E731
        rows.append([name, f"{mae(network):.4f}", f"{mae(product):.4f}", f"{f1:.4f}", f"{mae(known):.4f}"])
        print(rows[-1], flush=True)
    head = ["set", "network alone: MAE", "`--tasks alpha`: MAE", "changepoint F1", "changepoints known: MAE"]
    body = (f"`python benchmarks/subtask1_simulators.py --n {a.n} --threads {a.threads} --andi-sets {a.andi_sets}` - "
            f"{a.n:,} tracks per set, 2-5 FBM segments, alpha jumps > 0.5, no noise; ours (benchmarks/accuracy.py's "
            "sets) against andi-datasets' FBM (benchmarks/andi_sets.py --task alpha). `--tasks alpha` = the product "
            "(`Predictor.segment`); changepoints known = each true segment's exact alpha (the floor).\n\n"
            + "\n".join(markdown_table(head, rows)))
    print(body)
    if a.write:
        write_block(a.write, "subtask1_simulators", body)


if __name__ == "__main__":
    main()
