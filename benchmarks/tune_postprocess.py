"""Choose the Appendix post-processing threshold eps for an alpha network, on its own tuning set.

    python benchmarks/tune_postprocess.py --weights runs/alpha --n 2000 [--write-card]

The paper's eps = 0.028 was tuned for the paper's network; a smaller network predicts a rougher alpha(t),
and a fixed eps then finds either no quiet plateaus or too many. This script sweeps eps on a tuning set
(seeds disjoint from benchmarks/accuracy.py's) at L = 200 and 500, reports changepoint F1 for each value,
and with --write-card stores the best eps in the weights card ("postprocess"), which uandi.segment and
uandi evaluate then use by default. The table goes to docs/experiments.md by hand (printed here).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from uandi.metrics import changepoint_scores
from uandi.postprocess import segments_from_alpha
from uandi.predict import _resolve, load
from uandi.simulate import dataset

EPS_GRID = (0.01, 0.02, 0.028, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default="alpha")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--min-gap", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-card", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    m = load(a.weights, device="cpu")
    sets = []
    for i, length in enumerate((200, 500)):
        d = dataset("alpha", a.n, length, np.random.default_rng([777, i]), min_alpha_jump=0.5)
        sets.append((length, m.predict(d.x), d.changepoints))
    print("| eps | " + " | ".join(f"F1 L={L}" for L, _, _ in sets) + " | mean |")
    print("|---|" + "---|" * (len(sets) + 1))
    best = (None, -1.0)
    for eps in EPS_GRID:
        f1 = []
        for _, pred, truth in sets:
            cps = [segments_from_alpha(p, eps=eps, min_gap=a.min_gap)[0] for p in pred]
            f1.append(changepoint_scores(cps, truth)["f1"])
        mean = float(np.mean(f1))
        print(f"| {eps} | " + " | ".join(f"{v:.4f}" for v in f1) + f" | {mean:.4f} |")
        if mean > best[1]:
            best = (eps, mean)
    print(f"best eps {best[0]} (mean F1 {best[1]:.4f})")
    if a.write_card:
        card_path = _resolve(a.weights).with_suffix(".json")
        card = json.loads(card_path.read_text())
        card["postprocess"] = {"eps": best[0], "min_gap": a.min_gap, "tuned_f1": round(best[1], 4),
                               "command": f"python benchmarks/tune_postprocess.py --weights {a.weights} --n {a.n}"}
        card_path.write_text(json.dumps(card, indent=2))
        print(f"wrote eps into {card_path}")


if __name__ == "__main__":
    main()
