"""The shipped models at the ends of their length range (L = 50 and L = 1000) -> docs/results.md.

    python benchmarks/length_range.py --write docs/results.md

The networks were trained on L = 50-500; this checks that one model serves L = 50 to 1000. Sets of
1000 trajectories, 2-5 segments, subtask 1 with min_alpha_jump 0.5, subtask 2 scale-free.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

import uandi
from uandi.metrics import mae, mdice
from uandi.simulate import dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    torch.set_num_threads(2)
    rows = ["| L | subtask 1 MAE | subtask 2 mDice |", "|---|---|---|"]
    for length in (50, 1000):
        d1 = dataset("alpha", a.n, length, np.random.default_rng([99, length]), min_alpha_jump=0.5)
        d2 = dataset("model", a.n, length, np.random.default_rng([98, length]))
        m1 = mae(uandi.load("alpha-fbm").predict(d1.x), d1.alpha)
        m2 = mdice(uandi.load("diffusion-model").predict(d2.x), d2.model.astype(int))
        rows.append(f"| {length} | {m1:.4f} | {m2:.4f} |")
    body = "\n".join(["## The ends of the length range", "",
                      f"`python benchmarks/length_range.py --write docs/results.md` ({a.n} trajectories per set; "
                      "trained on L = 50-500; at L = 50 the 2-5 segments are 10-25 points long):", "", *rows])
    print(body)
    if a.write:
        write_block(a.write, "length_range", body)


if __name__ == "__main__":
    main()
