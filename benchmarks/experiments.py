"""Short, equal-budget training runs that decide the shipped models' design -> docs/experiments.md rows.

    python benchmarks/experiments.py --group representation    # positions vs increments vs both
    python benchmarks/experiments.py --group encoder           # symmetric vs causal WADNet padding
    python benchmarks/experiments.py --group width             # b = 8 vs b = 16 at equal trajectories

Every run: subtask 1 (alpha), L = 200, on-the-fly data, batch 32, Adam with a cosine schedule (peak
2e-3), the same number of trajectories, the same seeded validation set (1000 trajectories, L = 200),
one CPU thread per run, two runs side by side. The metric is the best validation MAE. Results are
printed as markdown rows and appended to docs/experiments.md with this command.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path

GROUPS = {
    "representation": [("positions (paper)", {"representation": "positions"}),
                       ("increments", {"representation": "increments"}),
                       ("both", {"representation": "both"})],
    "encoder": [("symmetric", {"causal": False}), ("causal (paper text)", {"causal": True})],
    "width": [("b = 8", {"width": 8}), ("b = 16", {"width": 16})],
}


def run_one(args):
    name, overrides, steps, out = args
    import torch

    from uandi.train import TrainConfig, train

    torch.set_num_threads(1)
    cfg = TrainConfig(preset="small-alpha", model_overrides={"width": 8, **overrides}, steps=steps, batch_size=32,
                      lr=2e-3, lengths=(200, 200), val_n=1000, val_lengths=(200,), val_every=max(steps // 6, 1),
                      seed=5)
    t = time.time()
    rec = train(cfg, out)
    return name, overrides, rec["trajectories"], rec["best"], time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--group", choices=sorted(GROUPS), required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--runs", default="runs/experiments")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--doc", default="docs/experiments.md")
    a = ap.parse_args()
    jobs = [(name, o, a.steps, f"{a.runs}/{a.group}-{i}") for i, (name, o) in enumerate(GROUPS[a.group])]
    with mp.get_context("spawn").Pool(a.parallel) as pool:
        results = pool.map(run_one, jobs)
    cmd = f"python benchmarks/experiments.py --group {a.group}" + (f" --steps {a.steps}" if a.steps != 1500 else "")
    lines = [f"\n### {a.group} (`{cmd}`)\n", "| setting | trajectories | best val MAE (L = 200) | minutes |",
             "|---|---|---|---|"]
    for name, o, seen, best, sec in results:
        lines.append(f"| {name} `{json.dumps(o)}` | {seen:,} | {best:.4f} | {sec / 60:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(a.doc, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
