"""U-AnDi against the paper's baselines (LSTM, GRU, Transformer) at an equal training budget -> docs/baselines.md.

    python benchmarks/baselines.py --minutes 3             # 2 tasks x 4 networks x 3 min, one core (~30 min)
    python benchmarks/baselines.py --minutes 30 --n 10000  # a budget where the ranking means more (~5 h)
    python benchmarks/baselines.py --minutes 3 --score-only   # re-score the runs already in runs/baselines-3min

Paper Figs. 5a / 7a (SCIENCE.md section 6): at L = 500, MAE of alpha 0.0603 (U-AnDi), 0.1097 (GRU),
0.1143 (LSTM), 0.2008 (Transformer); mDice 0.9645, 0.878, 0.853, 0.631 - each network trained for
100 / 200 epochs of 800,000 trajectories on an A100. Here every network gets the same trainer
(uandi.train), the same on-the-fly data stream (same seed, so the same trajectories in the same order),
the same schedule (Adam, constant learning rate 1e-3, batch 32, gradient norm clipped at 5) and the same
wall time on one CPU core; a faster network sees more trajectories in that time, which is the point of
an equal budget. Validation (200 trajectories at L = 200, every 50 steps, which picks the best weights)
runs inside the budget for all of them.

Networks: the presets of docs/networks.md - U-AnDi as shipped (small-*, width 8, 1.0 M parameters),
3-layer bidirectional LSTM and GRU (hidden 64) and a 3-layer Transformer encoder (dim 128, 8 heads).
Data: the shipped recipe (scale-free segments, a random step-size factor 0.5-2 per segment, noise
sigma_n in [0, 0.1], lengths 50-500 per batch); subtask 1 on FBM segments, subtask 2 on the five models.
Scored with uandi.metrics on fixed seeded sets at L = 200 and 500 (subtask 1 with the reference code's
|delta alpha| > 0.5 rule, as docs/results.md; subtask 2 scale-free), beside the shipped networks.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from _report import single_thread, write_block

ARCHS = {"U-AnDi": ("small", {"width": 8}), "LSTM": ("lstm", {}), "GRU": ("gru", {}),
         "Transformer": ("transformer", {})}
PAPER = {  # paper Figs. 5a / 7a, L = 500
    "alpha": {"U-AnDi": 0.06033, "GRU": 0.10967, "LSTM": 0.11433, "Transformer": 0.20080},
    "model": {"U-AnDi": 0.96450, "GRU": 0.87780, "LSTM": 0.85253, "Transformer": 0.63052},
}
LENGTHS = (200, 500)
# the shipped networks of the paper's two subtasks (alpha-fbm: trained on FBM segments, as here)
SHIPPED_REFERENCE = {"alpha": "alpha-fbm", "model": "diffusion-model"}
METRIC = {"alpha": "MAE", "model": "mDice"}


def train_one(task: str, arch: str, seconds: float, out: Path) -> None:
    from uandi.train import TrainConfig, train

    prefix, overrides = ARCHS[arch]
    cfg = TrainConfig(preset=f"{prefix}-{task}", model_overrides=overrides, steps=10**7, batch_size=32, lr=1e-3,
                      schedule="constant", lengths=(50, 500), noise=(0.0, 0.1),
                      sim_options={"diffusion_factor": (0.5, 2.0)}, val_n=200, val_lengths=(200,), val_every=50,
                      seed=5, time_limit=seconds)
    train(cfg, out)


def test_sets(task: str, n: int) -> dict:
    from uandi.simulate import dataset

    opts = {"min_alpha_jump": 0.5} if task == "alpha" else {}
    return {length: dataset(task, n, length, np.random.default_rng([777, i]), **opts)
            for i, length in enumerate(LENGTHS)}


def score(predictor, sets: dict, task: str) -> dict:
    from uandi import metrics

    out = {}
    for length, d in sets.items():
        t = time.time()
        pred = predictor.predict(d.x)  # (N, L): alpha clipped to [0.05, 2], or class ids
        seconds = time.time() - t
        value = metrics.mae(pred, d.alpha) if task == "alpha" else metrics.mdice(pred, d.model, n_classes=5)
        out[length] = {"value": float(value), "trajectories_per_s": len(d.x) / seconds}
    return out


def shipped_note(card: dict) -> str:
    """How long the shipped network trained, from its card (the last cycle; a warm start says so)."""
    training = card["training"]
    warm = " after an earlier cycle" if training["recipe"].get("init_from") else ""
    return f"its card: {training['hours']:.1f} h{warm}"


def run_summary(run: Path) -> dict:
    log = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    config = json.loads((run / "config.json").read_text())
    return {"parameters": config["parameters"], "steps": log[-1]["step"], "trajectories": log[-1]["trajectories"],
            "seconds": log[-1]["seconds"], "curve": [(r["seconds"], r["trajectories"], r["val_metric"]) for r in log]}


def figure(results: dict, path: Path, budget: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 6.4))
    axes = fig.subplots(2, 2)
    for col, task in enumerate(("alpha", "model")):
        if task not in results:
            for ax in axes[:, col]:
                ax.set_visible(False)
            continue
        ax = axes[0, col]
        names = list(ARCHS)
        xs = np.arange(len(names))
        for k, length in enumerate(LENGTHS):
            vals = [results[task][a]["scores"][length]["value"] for a in names]
            ax.bar(xs + (k - 1) * 0.27, vals, 0.27, label=f"ours, L = {length} ({budget})")
        ax.bar(xs + 0.27, [PAPER[task][a] for a in names], 0.27, color="0.6", label="paper, L = 500 (A100)")
        ax.set_xticks(xs, names)
        ax.set_ylabel(f"{METRIC[task]} ({'lower' if task == 'alpha' else 'higher'} is better)")
        ax.set_title("subtask 1: alpha" if task == "alpha" else "subtask 2: diffusion model")
        ax.legend(fontsize="small", loc="upper left" if task == "alpha" else "lower left")
        ax = axes[1, col]
        for a in names:
            curve = np.asarray(results[task][a]["curve"])
            ax.plot(curve[:, 0] / 60, curve[:, 2], marker=".", label=a)
        ax.set_xlabel("training wall time (minutes, one core)")
        ax.set_ylabel(f"validation {METRIC[task]} (L = 200)")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def table(results: dict, budget: str, n: int) -> str:
    lines = []
    for task, title in (("alpha", "Subtask 1: MAE of alpha (lower is better)"),
                        ("model", "Subtask 2: mDice (higher is better)")):
        if task not in results:
            continue
        lines += [f"**{title}**, each network trained {budget} on one core, scored on {n} trajectories per length:",
                  "", "| network | parameters | steps | trajectories seen | L = 200 | L = 500 | paper, L = 500 |",
                  "|---|---|---|---|---|---|---|"]
        for arch in ARCHS:
            r = results[task][arch]
            lines.append(f"| {arch} | {r['parameters']:,} | {r['steps']:,} | {r['trajectories']:,} | "
                         f"{r['scores'][200]['value']:.4f} | {r['scores'][500]['value']:.4f} | {PAPER[task][arch]:.4f} |")
        shipped = results[task].get("shipped")
        if shipped:
            lines.append(f"| shipped `{SHIPPED_REFERENCE[task]}` ({shipped['note']}) | {shipped['parameters']:,} | | "
                         f"{shipped['trajectories']:,} | {shipped['scores'][200]['value']:.4f} | "
                         f"{shipped['scores'][500]['value']:.4f} | |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=3.0, help="training wall time per network")
    ap.add_argument("--tasks", default="alpha,model")
    ap.add_argument("--n", type=int, default=1000, help="test trajectories per length")
    ap.add_argument("--runs", help="folder of the training runs (default runs/baselines-<minutes>min)")
    ap.add_argument("--score-only", action="store_true", help="score existing runs, train nothing")
    ap.add_argument("--out", default="docs/baselines.md")
    a = ap.parse_args()
    single_thread()
    import torch

    from uandi.predict import load

    torch.set_num_threads(1)
    tag = f"{a.minutes:g}min"
    runs = Path(a.runs or f"runs/baselines-{tag}")
    budget = f"{a.minutes:g} minutes"
    results = {}
    for task in a.tasks.split(","):
        sets = test_sets(task, a.n)
        results[task] = {}
        for arch in ARCHS:
            run = runs / f"{task}-{arch.lower()}"
            if not a.score_only and not (run / "metrics.jsonl").is_file():
                print(f"training {arch} on task {task} for {budget}", flush=True)
                train_one(task, arch, a.minutes * 60, run)
            results[task][arch] = {**run_summary(run), "scores": score(load(run), sets, task)}
            print(task, arch, json.dumps({k: v for k, v in results[task][arch].items() if k != "curve"}), flush=True)
        shipped = load(SHIPPED_REFERENCE[task])
        results[task]["shipped"] = {"parameters": sum(p.numel() for p in shipped.net.parameters()),
                                    "trajectories": shipped.card["training"]["trajectory_passes"],
                                    "note": shipped_note(shipped.card),
                                    "scores": score(shipped, sets, task)}
    out = Path(a.out)
    fig_path = out.parent / f"baselines_{tag}.png"
    figure(results, fig_path, budget)
    (out.parent / f"baselines_{tag}.json").write_text(json.dumps(results, indent=1, default=str))
    body = (f"Command: `python benchmarks/baselines.py --minutes {a.minutes:g} --n {a.n}` "
            f"(training runs in `{runs}`, numbers in `{out.parent.name}/baselines_{tag}.json`).\n\n"
            + table(results, budget, a.n) + f"\n![Baselines at equal budget]({fig_path.name})\n")
    write_block(out, f"baselines-{tag}", body)
    print(body)


if __name__ == "__main__":
    main()
