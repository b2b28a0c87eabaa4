"""Where the changepoint F1 of `--tasks alpha` is lost, and how much evidence each lost change carries -> docs/likelihood.md.

    python benchmarks/changepoint_anatomy.py --n 1000 --write docs/likelihood.md     # about 2 min

On subtask-1 tuning tracks (seeds [777, L], not the fixed sets of benchmarks/accuracy.py), the product's
path (`Predictor.segment`: the network's candidates, the likelihood's partition, each change placed by
its posterior). Every true change is one of:
  - found: matched one-to-one (the AnDi scorer's Hungarian matching) to a chosen change within 10 frames;
  - misplaced: not found, but an unmatched chosen change lies within 40 frames (one miss and one false
    change to the scorer);
  - missed: neither.
Each true change's evidence: the exact no-noise log-likelihood gain of the change given its true
neighbours (the two segments beside it against the one they would merge into, each alpha and K
maximised). The chosen changes left unmatched are counted apart: near an unmatched true change (within 40
frames) or elsewhere. For the misplaced changes with a gain of 20 or more: how far off they sit, and how
often the 95 % interval of the chosen change (first_frame_low / first_frame_high) holds the true one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import pin_threads  # noqa: E402  (imports nothing that starts a thread pool)

GAIN_BINS = ((-float("inf"), 10), (10, 20), (20, float("inf")))  # a grid-read gain can dip below 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    pin_threads(a.threads)  # before numpy is imported
    import numpy as np
    import torch

    from _report import markdown_table, write_block
    from uandi.likelihood import _evidence
    from uandi.metrics import match_changepoints
    from uandi.predict import load
    from uandi.simulate import dataset

    torch.set_num_threads(a.threads)
    net = load("alpha-fbm")
    rows = []
    for length in (200, 500):
        d = dataset("alpha", a.n, length, np.random.default_rng([777, length]), min_alpha_jump=0.5)
        tracks = list(d.x.astype(np.float64))
        found = net.segment(tracks, workers=a.threads)
        # select_changepoints' evidence of the true changes, given their true neighbours: column 0 is the gain
        evidence = _evidence(tracks, [np.asarray(c) for c in d.changepoints], {}, {}, 0.0)
        gain = {(t, c): ev[k, 0] for t, (cps, ev) in enumerate(zip(d.changepoints, evidence))
                for k, c in enumerate(cps.tolist())}
        kinds = {"found": [], "misplaced": [], "missed": []}
        false_near = false_far = 0
        offsets, held = [], []
        for t, (seg, truth) in enumerate(zip(found, d.changepoints)):
            est, tru = seg.changepoints, np.asarray(truth)
            pairs = [(i, j) for i, j in match_changepoints(est, tru)["pairs"] if abs(int(est[i]) - int(tru[j])) < 10]
            est_left = [i for i in range(len(est)) if i not in {i for i, _ in pairs}]
            tru_left = [j for j in range(len(tru)) if j not in {j for _, j in pairs}]
            for j, c in enumerate(tru.tolist()):
                near = [i for i in est_left if abs(int(est[i]) - c) <= 40]
                kind = "found" if j not in tru_left else "misplaced" if near else "missed"
                kinds[kind].append(gain[(t, c)])
                if kind == "misplaced" and gain[(t, c)] >= 20:
                    i = min(near, key=lambda i: abs(int(est[i]) - c))
                    offsets.append(abs(int(est[i]) - c))
                    held.append(bool(seg["first_frame_low"][i + 1] <= c <= seg["first_frame_high"][i + 1]))
            for i in est_left:
                if any(abs(int(est[i]) - int(tru[j])) <= 40 for j in tru_left):
                    false_near += 1
                else:
                    false_far += 1
        total = sum(len(v) for v in kinds.values())
        for kind, gains in kinds.items():
            g = np.array(gains)
            rows.append([f"L={length}", kind, f"{len(g)} ({len(g) / total:.3f})",
                         *[str(int(((g >= lo) & (g < hi)).sum())) for lo, hi in GAIN_BINS]])
        rows.append([f"L={length}", "chosen, unmatched", f"{false_near} near a lost change, {false_far} elsewhere",
                     "", "", ""])
        rows.append([f"L={length}", "misplaced with gain >= 20",
                     f"median {np.median(offsets):.0f} frames off; 95 % interval holds the true change "
                     f"{np.mean(held):.2f}", "", "", ""])
        print(rows[-5:], flush=True)
    head = ["set", "true changes", "count (share)", "gain < 10", "gain 10-20", "gain >= 20"]
    body = (f"`python benchmarks/changepoint_anatomy.py --n {a.n} --threads {a.threads}` - {a.n:,} subtask-1 "
            "tuning tracks per length (seeds [777, L], jumps > 0.5, no noise), the product's path; gain = the "
            "exact log-likelihood gain of each true change given its true neighbours.\n\n"
            + "\n".join(markdown_table(head, rows)))
    print(body)
    if a.write:
        write_block(a.write, "changepoint_anatomy", body)


if __name__ == "__main__":
    main()
