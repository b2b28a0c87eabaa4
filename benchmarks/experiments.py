"""Short, equal-budget training runs that decide the shipped models' design -> docs/experiments.md.

    python benchmarks/experiments.py                      # every group below, two runs at a time
    python benchmarks/experiments.py --group encoder      # one group

Groups (subtask 1, alpha):
  representation - z-scored positions (the paper) vs scaled increments vs both;
  encoder        - symmetric vs causal WADNet padding (the paper's text says causal);
  diffusion      - training with K = 1 everywhere vs a random diffusion coefficient per segment;
  width          - b = 8 vs 12 vs 16 at equal wall time: each run's steps are scaled by its width's
                   measured training throughput (182, 125, 92 trajectories/s, docs/experiments.md), so
                   every run finishes its cosine schedule in about the same minutes (the table shows them).
Every run: U-AnDi b = 8, L = 200, on-the-fly data, batch 32, Adam with a cosine schedule (peak 2e-3),
the same number of trajectories, one CPU thread, two runs side by side. Each trained network is then
scored on the same two fixed sets (2000 trajectories, L = 200, min_alpha_jump 0.5): K = 1 in every
segment, and a random step-size factor 0.5-2 per segment ("K changes"). The rows are appended to
docs/experiments.md with this command.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

COMMON = {"width": 8}
GROUPS = {
    "representation": [("positions (paper)", {"representation": "positions"}, {}),
                       ("increments", {"representation": "increments"}, {}),
                       ("both", {"representation": "both"}, {})],
    "encoder": [("symmetric", {"causal": False}, {}), ("causal (paper text)", {"causal": True}, {})],
    "diffusion": [("K = 1 in training", {}, {}),
                  ("K changes in training (0.5-2)", {}, {"diffusion_factor": (0.5, 2.0)})],
    "width": [("b = 8", {"width": 8}, {}), ("b = 12", {"width": 12}, {}), ("b = 16", {"width": 16}, {})],
}
# equal wall time in the width group: steps scaled by training throughput relative to b = 8
STEP_SCALE = {"b = 8": 1.0, "b = 12": 125 / 182, "b = 16": 92 / 182}


def score_sets(path, n=2000):
    import numpy as np

    from uandi.metrics import mae
    from uandi.predict import load
    from uandi.simulate import dataset

    m = load(path, device="cpu")
    out = {}
    for i, (name, opts) in enumerate((("K = 1", {}), ("K changes", {"diffusion_factor": (0.5, 2.0)}))):
        d = dataset("alpha", n, 200, np.random.default_rng([4242, i]), min_alpha_jump=0.5, **opts)
        out[name] = mae(m.predict(d.x), d.alpha)
    return out


def run_one(args):
    name, overrides, sim, steps, out = args
    import torch

    from uandi.train import TrainConfig, train

    torch.set_num_threads(1)
    cfg = TrainConfig(preset="small-alpha", model_overrides={**COMMON, **overrides}, steps=steps, batch_size=32,
                      lr=2e-3, lengths=(200, 200), sim_options=sim, val_n=500, val_lengths=(200,),
                      val_every=max(steps // 4, 1), seed=5)
    t = time.time()
    rec = train(cfg, out)
    return name, overrides, sim, rec["trajectories"], score_sets(out), time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--group", choices=sorted(GROUPS) + ["all"], default="all")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--runs", default="runs/experiments")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--doc", default="docs/experiments.md")
    a = ap.parse_args()
    groups = sorted(GROUPS) if a.group == "all" else [a.group]
    jobs = [(g, (name, o, sim, round(a.steps * (STEP_SCALE.get(name, 1.0) if g == "width" else 1.0)),
                 f"{a.runs}/{g}-{i}")) for g in groups for i, (name, o, sim) in enumerate(GROUPS[g])]
    with mp.get_context("spawn").Pool(a.parallel) as pool:
        results = pool.map(run_one, [j for _, j in jobs])
    cmd = "python benchmarks/experiments.py" + ("" if a.group == "all" else f" --group {a.group}") + (
        f" --steps {a.steps}" if a.steps != 1000 else "")
    lines = [f"\n## Equal-budget runs (`{cmd}`)\n",
             "| group | setting | trajectories | MAE, K = 1 set | MAE, K-changes set | minutes |", "|---|---|---|---|---|---|"]
    for (g, _), (name, o, sim, seen, maes, sec) in zip(jobs, results):
        lines.append(f"| {g} | {name} | {seen:,} | {maes['K = 1']:.4f} | {maes['K changes']:.4f} | {sec / 60:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(a.doc, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
