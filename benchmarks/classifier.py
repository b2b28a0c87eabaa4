"""Accuracy of the shipped WADNet trajectory classifier by trajectory length -> docs/classifier.md.

    python benchmarks/classifier.py                 # 1,000 trajectories per length (about 2 min, one core)
    python benchmarks/classifier.py --weights runs/trajectory-model --n 200 --out /tmp/classifier.md
    python benchmarks/classifier.py --robust trajectory-model,runs/trajectory-model-mix   # two networks side by side

Fixed seeded test sets of whole single-model trajectories (the five models in equal shares, each with
alpha uniform in its own range, scale-free, localization noise sigma_n uniform in [0, 0.2] as in
training), one set per length L = 10 ... 1000. Reported: accuracy per length and per class, and the
confusion matrices at L = 50, 200, 500 (rows: true model), as a table and a figure. A second block
(--robust: one or more networks) scores the same kind of sets at L = 50, 200, 500 made three ways: our
simulator, andi-datasets' parametrisations (flavor "andi"), and ours with the shutter open the whole
frame (exposure 1, uandi.simulate.blur), since a user's tracks come from neither simulator and from a
camera.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from _report import markdown_table, mean_by_model, single_thread, write_block

LENGTHS = (10, 20, 50, 100, 200, 500, 1000)
CONFUSION_AT = (50, 200, 500)


ROBUST_AT = (50, 200, 500)
ROBUST_SETS = (("ours", "uandi", 0.0), ("andi flavour", "andi", 0.0), ("ours, exposure 1", "uandi", 1.0))


def test_set(length: int, n: int, seed: int, flavor: str = "uandi", exposure: float = 0.0, stream: int = 0):
    """n single-model tracks of `length` points; stream 0 is the main table's set, others the robustness
    sets (their own seeds)."""
    from uandi.simulate import dataset

    rng = np.random.default_rng([seed, length] + ([stream] if stream else []))
    d = dataset("model", n, length, rng, n_segments=(1, 1), noise=rng.uniform(0.0, 0.2, n), flavor=flavor,
                exposure=exposure)
    return d.x, d.model[:, 0].astype(np.int64)  # (N, L, 2), (N,) class ids, order uandi.MODELS


def robustness_block(weights: list, n: int, seed: int) -> str:
    """Accuracy (and per class) of each network on ROBUST_SETS at ROBUST_AT lengths, as markdown."""
    from uandi.constants import MODELS
    from uandi.predict import load

    sets = [(name, length, *test_set(length, n, seed, flavor, exposure, stream=1 + k))
            for k, (name, flavor, exposure) in enumerate(ROBUST_SETS) for length in ROBUST_AT]
    rows = []
    for w in weights:
        net = load(w)
        for name, length, x, true in sets:
            accuracy, per_class = mean_by_model(net.predict(x) == true, true)
            rows.append([w, name, length, f"{accuracy:.3f}", *(f"{v:.3f}" for v in per_class)])
            print(rows[-1], flush=True)
    lines = [f"Command: `python benchmarks/classifier.py --robust {','.join(weights)} --n {n}`; {n} single-model "
             "tracks per set, sigma_n uniform in [0, 0.2]: ours, andi-datasets' parametrisations, and ours "
             "blurred over the whole frame.", ""]
    return "\n".join(lines + markdown_table(["network", "set", "L", "accuracy", *(c.upper() for c in MODELS)], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", default="trajectory-model")
    ap.add_argument("--n", type=int, default=1000, help="trajectories per length")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default="docs/classifier.md")
    ap.add_argument("--robust", default="", help="comma-separated networks for the robustness block only")
    a = ap.parse_args()
    single_thread()
    import torch

    if a.robust:
        torch.set_num_threads(1)
        write_block(Path(a.out), "classifier-robustness", robustness_block(a.robust.split(","), a.n, a.seed))
        return

    from uandi import metrics
    from uandi.constants import MODELS
    from uandi.predict import load

    torch.set_num_threads(1)
    net = load(a.weights)
    rows, confusions = [], {}
    for length in LENGTHS:
        x, true = test_set(length, a.n, a.seed)
        pred = net.predict(x)  # (N,) class ids
        cm = metrics.confusion_matrix(pred, true, n_classes=len(MODELS))
        per_class = np.diag(cm) / np.maximum(cm.sum(1), 1)
        rows.append({"length": length, "accuracy": float(np.mean(pred == true)),
                     "per_class": dict(zip(MODELS, per_class.tolist()))})
        confusions[length] = cm
        print(json.dumps(rows[-1]), flush=True)
    out = Path(a.out)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 3.8), layout="constrained")
    axes = fig.subplots(1, len(CONFUSION_AT) + 1)
    ax = axes[0]
    ax.plot([r["length"] for r in rows], [r["accuracy"] for r in rows], "o-", color="k", label="all")
    for c in MODELS:
        ax.plot([r["length"] for r in rows], [r["per_class"][c] for r in rows], ".--", label=c.upper())
    ax.set_xscale("log")
    ax.set_xlabel("trajectory length L (points)")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize="small")
    for ax, length in zip(axes[1:], CONFUSION_AT):
        m = confusions[length] / np.maximum(confusions[length].sum(1, keepdims=True), 1)
        ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
        for i in range(len(MODELS)):
            for j in range(len(MODELS)):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if m[i, j] > 0.6 else "black")
        ax.set_xticks(range(len(MODELS)), [c.upper() for c in MODELS])
        ax.set_yticks(range(len(MODELS)), [c.upper() for c in MODELS])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"L = {length}")
    fig.savefig(out.parent / "classifier.png", dpi=110)
    head = "| L | accuracy | " + " | ".join(c.upper() for c in MODELS) + " |"
    lines = [f"Command: `python benchmarks/classifier.py --weights {a.weights} --n {a.n}`; {a.n} trajectories per "
             "length, sigma_n uniform in [0, 0.2].", "", head, "|---" * (len(MODELS) + 2) + "|"]
    for r in rows:
        lines.append(f"| {r['length']} | {r['accuracy']:.3f} | "
                     + " | ".join(f"{r['per_class'][c]:.3f}" for c in MODELS) + " |")
    for length in CONFUSION_AT:
        cm = confusions[length]
        lines += ["", f"Confusion matrix at L = {length} (rows: true model, counts):", "",
                  "| true \\ predicted | " + " | ".join(c.upper() for c in MODELS) + " |",
                  "|---" * (len(MODELS) + 1) + "|"]
        lines += [f"| {c.upper()} | " + " | ".join(str(int(v)) for v in row) + " |" for c, row in zip(MODELS, cm)]
    lines += ["", "![Accuracy by length and confusion matrices](classifier.png)"]
    write_block(out, "classifier-accuracy", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
