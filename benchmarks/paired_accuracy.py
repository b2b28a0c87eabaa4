"""Two diffusion-model networks on the same tracks: point accuracy and the track-paired difference.

    python benchmarks/paired_accuracy.py --base diffusion-model --new runs/model-long-b8-c3/best.safetensors \
        --andi-sets runs/andi-model-200.npz,runs/andi-model-500.npz

The sets are benchmarks/flavors.py's (the subtask-2 mix at L = 200 and 500: ours, the andi flavour and,
when given, andi-datasets' own). Each track's point accuracy is taken under both networks; the
difference new - base is averaged over the tracks, and its standard error is the spread of the
per-track differences over sqrt(n). Pairing removes the between-track spread (most of an unpaired
comparison's noise), so differences of 0.003 are resolved with 2,000 tracks. This is how a training
stage is judged before it is shipped (docs/experiments.md).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from _report import markdown_table
from flavors import load_sets
from uandi.predict import load


def paired(base_correct: np.ndarray, new_correct: np.ndarray) -> tuple[float, float, float, float]:
    """(base accuracy, new accuracy, mean per-track difference, its standard error) from per-point
    right/wrong flags (n_tracks, L) of the two networks on the same tracks."""
    a, b = base_correct.mean(axis=1), new_correct.mean(axis=1)  # per-track accuracy, (n,)
    diff = b - a
    return float(a.mean()), float(b.mean()), float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(diff.size))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="diffusion-model", help="the network to compare against (name or path)")
    ap.add_argument("--new", required=True, help="the candidate network (name or path)")
    ap.add_argument("--n", type=int, default=2000, help="trajectories per set")
    ap.add_argument("--andi-sets", default="", help="comma-separated .npz files from benchmarks/andi_sets.py")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base, new = load(a.base, device="cpu"), load(a.new, device="cpu")
    rows = []
    for name, length, x, _alpha, model in load_sets(a.n, [p for p in a.andi_sets.split(",") if p]):
        acc_a, acc_b, d, se = paired(base.predict(x) == model, new.predict(x) == model)
        rows.append([length, name, f"{acc_a:.4f}", f"{acc_b:.4f}", f"{d:+.4f} +- {se:.4f}"])
        print(rows[-1], flush=True)
    print("\n".join(markdown_table(["L", "set", a.base, a.new, "paired difference"], rows)))


if __name__ == "__main__":
    main()
