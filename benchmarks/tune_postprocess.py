"""Choose how a network's output is cut into segments, on its own tuning set.

    python benchmarks/tune_postprocess.py --weights alpha --n 2000 [--write-card]
    python benchmarks/tune_postprocess.py --weights diffusion-model --n 2000 [--write-card]
    python benchmarks/tune_postprocess.py --weights alpha-all --beside diffusion-model --n 1000 [--write-card]

Alpha networks: the paper's Appendix rule with eps = 0.028 was tuned for the paper's network; a smaller
network predicts a rougher alpha(t), and a fixed eps then finds either no quiet plateaus or too many.
The script sweeps the Appendix eps and the window-contrast rule (window, threshold).
Model networks: a changepoint at every change of the predicted class (runs under 10 points absorbed)
against the window contrast of the class probabilities (window, threshold).
The tuning set has seeds disjoint from benchmarks/accuracy.py's, at L = 200 and 500 (alpha: jumps > 0.5;
model: scale-free). The script prints changepoint F1 for each setting and with --write-card stores the
best in the weights card ("postprocess"), which uandi.segment, uandi evaluate and the accuracy
benchmark then use by default.
--beside MODEL (a five-model alpha network): tune its rule for `uandi segment` with both tasks, where its
changepoints are joined with those of the diffusion-model network MODEL (postprocess.combine_changepoints,
MODEL's own rule): the mean F1 of the joined changepoints over four sets, each with localization noise
uniform in [0, 0.5] of the step (the range the error tables are calibrated over): five-model tracks of
both simulator flavours (where every change is a change of model, which MODEL sees) and FBM tracks whose
alpha jumps by more than 0.5 (changes within one model, which only the alpha network sees), at L = 200
and 500. Tuned on the five-model tracks alone, the alpha network's changepoints would all but vanish
(F1 0.744 at the rule tuned alone, 0.786 at threshold 0.8), and with them every change of alpha within a
model.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from uandi.metrics import changepoint_scores
from uandi.postprocess import (
    changepoints_from_proba,
    combine_changepoints,
    model_postprocess_settings,
    segments_from_alpha_by,
    segments_from_proba_by,
)
from uandi.predict import load
from uandi.simulate import dataset
from uandi.weights import resolve, trained_on

GRID = {
    "alpha": ([{"method": "appendix", "eps": e} for e in (0.02, 0.028, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15)]
              + [{"method": "contrast", "window": w, "threshold": t} for w in (6, 8, 10, 12)
                 for t in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8)]),
    "model": ([{"method": "labels"}]
              + [{"method": "contrast", "window": w, "threshold": t} for w in (8, 12, 16, 20, 24)
                 for t in (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)]),
}
SETS = {"alpha": {"min_alpha_jump": 0.5}, "model": {}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default="alpha", help="shipped name, weights file or run folder (either task)")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--min-gap", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--beside", help="diffusion-model network whose changepoints join an alpha network's (both tasks)")
    ap.add_argument("--write-card", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    m = load(a.weights, device="cpu")
    task = m.task
    # the data the network was trained on: FBM (subtask 1), the five-model mix (subtask 2, also for an
    # alpha network trained on it: card training.sim_task == "model")
    sim_task = trained_on(m.card) or task
    sets, beside = [], []
    if a.beside and (task, sim_task) != ("alpha", "model"):
        raise SystemExit("--beside is for an alpha network trained on the five-model mix")
    model_net = load(a.beside, device="cpu") if a.beside else None
    for i, length in enumerate((200, 500)):
        rng = np.random.default_rng([777, i])
        if model_net is None:
            d = dataset(sim_task, a.n, length, rng, **SETS[sim_task])
            sets.append((length, m.predict(d.x) if task == "alpha" else m.predict_proba(d.x), d.changepoints))
            continue
        # beside the diffusion-model network: changes of model (the subtask-2 mix, where every change is
        # one) and changes of alpha within one model (FBM, jumps > 0.5), which only the alpha network sees
        for d in (dataset("model", a.n, length, rng, flavor=["uandi", "andi"], noise=rng.uniform(0, 0.5, a.n)),
                  dataset("alpha", a.n, length, rng, min_alpha_jump=0.5, noise=rng.uniform(0, 0.5, a.n))):
            sets.append((length, m.predict(d.x), d.changepoints))
            rule = model_postprocess_settings(model_net)  # its changepoints, by its own rule
            beside.append([changepoints_from_proba(p, rule) for p in model_net.predict_proba(d.x)])
    segment_by = segments_from_alpha_by if task == "alpha" else segments_from_proba_by
    names = [f"F1 L={L}" for L, _, _ in sets] if not beside else [
        f"F1 L={L}, {kind}" for L in (200, 500) for kind in ("model changes", "FBM alpha changes")]
    print("| setting | " + " | ".join(names) + " | mean |")
    print("|---|" + "---|" * (len(sets) + 1))
    best = (None, -1.0)
    for setting in GRID[task]:
        setting = {**setting, "min_gap": a.min_gap}
        f1 = []
        for k, (length, pred, truth) in enumerate(sets):
            cps = [segment_by(p, setting)[0] for p in pred]
            if beside:
                cps = [combine_changepoints(c, b, length, a.min_gap) for c, b in zip(cps, beside[k])]
            f1.append(changepoint_scores(cps, truth)["f1"])
        mean = float(np.mean(f1))
        print(f"| {json.dumps(setting)} | " + " | ".join(f"{v:.4f}" for v in f1) + f" | {mean:.4f} |")
        if mean > best[1]:
            best = (setting, mean)
    print(f"best {best[0]} (mean F1 {best[1]:.4f})")
    if a.write_card:
        card_path = resolve(a.weights).with_suffix(".json")
        card = json.loads(card_path.read_text())
        command = f"python benchmarks/tune_postprocess.py --weights {a.weights} --n {a.n}"
        card["postprocess"] = {**best[0], "tuned_f1": round(best[1], 4),
                               "command": command + (f" --beside {a.beside}" if a.beside else "")}
        if a.beside:  # tests/test_shipped.py reads "beside" to score the joined changepoints
            card["postprocess"].update(beside=a.beside, tuned_for=(
                f"uandi segment with both tasks: F1 of the changepoints joined with {a.beside}'s, five-model and "
                "FBM-alpha-change tracks, noise 0-0.5"))
        card_path.write_text(json.dumps(card, indent=2))
        print(f"wrote the setting into {card_path}")


if __name__ == "__main__":
    main()
