"""How many changepoints the likelihood keeps, where it puts each, and how sure it is -> docs/likelihood.md.

    python benchmarks/changepoint_placement.py --n 2000 --write docs/likelihood.md   # about 6 min, 1 thread

On the subtask-1 sets of benchmarks/accuracy.py (same seeds; the first --n tracks of each), the
product's path (`Predictor.segment`, `uandi segment --tasks alpha`: the network's candidates, the
likelihood's partition, each segment's exact alpha) three times from one inference:
  - fixed: the penalty 5 and each chosen change at the network's candidate position (settings
    penalty_slope 0 and place 0: the product before 2026-12-02);
  - placed: each change then placed by the posterior of its position (place 9:
    likelihood.place_changepoints);
  - the default: placed, and the penalty following the rate of changes in the set (penalty_slope 2).
Columns: changepoint F1 and MAE of each (as accuracy.py scores the product), the penalty the default
settled at, and the default's 95 % intervals (the segments table's first_frame_low / _high): the
share of the true positives (|dc| < 10) whose interval holds the true change, the share of all chosen
changes whose interval holds some true change, and the median width in frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import pin_threads  # noqa: E402  (imports nothing that starts a thread pool)

SETS = [  # name, L, options, index of benchmarks/accuracy.py's ALPHA_SETS (seed [11, index])
    ("L=100, jump>0.5", 100, {"min_alpha_jump": 0.5}, 0),
    ("L=200, jump>0.5", 200, {"min_alpha_jump": 0.5}, 1),
    ("L=500, jump>0.5", 500, {"min_alpha_jump": 0.5}, 2),
    ("L=500, jump>0.5, K changes", 500, {"min_alpha_jump": 0.5, "diffusion_factor": (0.5, 2.0)}, 4),
    ("L=500, jump>0.5, noise 0.1", 500, {"min_alpha_jump": 0.5, "noise": 0.1}, 5),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    pin_threads(a.threads)  # before numpy is imported
    import numpy as np
    import torch

    from _report import markdown_table, write_block
    from accuracy import ALPHA_SETS
    from uandi.likelihood import rate_penalty
    from uandi.metrics import changepoint_scores, match_changepoints
    from uandi.postprocess import LIKELIHOOD_SETTINGS, refine_segments, segment_track
    from uandi.predict import load
    from uandi.simulate import dataset

    torch.set_num_threads(a.threads)
    net = load("alpha-fbm")
    rule = net.postprocess_settings()
    rows = []
    for name, length, opts, index in SETS:
        assert ALPHA_SETS[index][1:] == (length, opts), f"{name}: not accuracy.py's set {index}"
        d = dataset("alpha", a.n, length, np.random.default_rng([11, index]), **opts)
        tracks = list(d.x.astype(np.float64))
        outputs = net.pointwise(tracks)
        row = [name]
        for settings in ({"place": 0, "penalty_slope": 0.0}, {"penalty_slope": 0.0}, {}):
            segments = [segment_track(t, alpha=out, alpha_rule=rule, min_gap=rule["min_gap"], classes=net.classes)
                        for t, out in zip(tracks, outputs)]
            found = refine_segments(tracks, segments, alpha=outputs, model_rule={"min_gap": rule["min_gap"]},
                                    settings=settings)
            alpha = np.stack([np.repeat(np.clip(s["alpha"], 0.05, 2.0), s.lengths) for s in found])
            scores = changepoint_scores([s.changepoints for s in found], d.changepoints)
            row += [f"{scores['f1']:.4f}", f"{np.abs(alpha - d.alpha).mean():.4f}"]
        # the penalty the default settled at: its fixed point is rate_penalty of the changes it kept
        penalty = rate_penalty(sum(len(f.changepoints) for f in found), sum(len(t) for t in tracks),
                               LIKELIHOOD_SETTINGS["penalty"], LIKELIHOOD_SETTINGS["penalty_slope"])
        row.append(f"{penalty:.2f}")
        held_tp, held_any, widths = [], [], []
        for s, truth in zip(found, d.changepoints):
            low, high = s["first_frame_low"][1:], s["first_frame_high"][1:]
            ok = np.isfinite(low)
            widths += (high - low)[ok].tolist()
            held_any += [bool(np.any((truth >= lo) & (truth <= hi))) for lo, hi in zip(low[ok], high[ok])]
            for i, j in match_changepoints(s.changepoints, truth)["pairs"]:  # the scorer's one-to-one matching
                if abs(int(s.changepoints[i]) - int(truth[j])) < 10 and ok[i]:
                    held_tp.append(bool(low[i] <= truth[j] <= high[i]))
        row += [f"{np.mean(held_tp):.3f}", f"{np.mean(held_any):.3f}", f"{np.median(widths):.0f}"]
        rows.append(row)
        print(row, flush=True)
    head = ["set", "F1, fixed", "MAE", "F1, placed", "MAE", "F1, default", "MAE", "penalty",
            "interval holds the TP's change", "interval holds a change", "median width (frames)"]
    body = (f"`python benchmarks/changepoint_placement.py --n {a.n} --threads {a.threads}` - the first {a.n:,} "
            "tracks of each subtask-1 set of benchmarks/accuracy.py; the product's path from one inference: fixed = "
            "penalty 5 and the network's positions (before 2026-12-02), placed = each change placed by its posterior, "
            "default = placed and the penalty following the set's rate of changes (the penalty it settled at); "
            "intervals: 95 %, the default's.\n\n" + "\n".join(markdown_table(head, rows)))
    print(body)
    if a.write:
        write_block(a.write, "placement", body)


if __name__ == "__main__":
    main()
