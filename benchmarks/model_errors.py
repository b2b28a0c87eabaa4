"""Where the diffusion-model network errs, by true model and alpha, and whether decoding can mend it.

    python benchmarks/model_errors.py --andi-sets runs/andi-model-200.npz,runs/andi-model-500.npz \
        --write docs/experiments.md

The sets are benchmarks/flavors.py's (the subtask-2 mix at L = 200 and 500: ours, the andi flavour and,
when given, andi-datasets' own). Four tables:
  - for the points of one true model (--model-class, ATTM by default: the class issue 10's targets miss
    on andi's data) at L = 500, by bin of true alpha: the bin's share of that model's points, the point
    accuracy, and the share of the points called each other class;
  - point accuracy of the raw argmax against a Viterbi decoding of the network's log-probabilities with a
    penalty per switch of class (lambda nats). If the errors were flicker inside segments, decoding would
    mend them; if they are whole stretches called the wrong model, it cannot;
  - the andi flavour at L = 500 with every ATTM segment's gamma fixed (sigma = gamma alpha in andi's
    parametrisation, uandi.simulate.andi: a period of T frames has D = T^(-1/gamma)), beside the share of
    andi's own ATTM segments near that gamma: which of andi's ATTMs the network reads as ATTM;
  - reliability at L = 500: points binned by the network's top probability, the mean probability against
    the share right, and the expected calibration error (ECE, the bins' |accuracy - probability|
    weighted by their share): whether "p = 0.9" still means 90 % right on another simulator.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import pin_threads  # noqa: E402  (imports nothing that starts a thread pool)

PENALTIES = (2.0, 5.0, 10.0, 20.0, 40.0)  # nats per switch of class
ALPHA_EDGES = {"attm": (0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0), "ctrw": (0.05, 0.2, 0.4, 0.6, 0.8, 1.0),
               "fbm": (0.05, 0.5, 0.9, 1.1, 1.5, 1.99), "lw": (1.0, 1.25, 1.5, 1.75, 2.0),
               "sbm": (0.05, 0.5, 0.9, 1.1, 1.5, 2.0)}
CONFIDENCE_EDGES = (0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)  # the top of 5 probabilities is >= 0.2
GAMMAS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)  # andi ATTM's gamma = sigma / alpha, fixed per set


def andi_gamma_share(lower: float, upper: float, n: int = 1_000_000) -> float:
    """The share of andi's ATTM segments with gamma in [lower, upper): alpha uniform in [0.05, 1] (the
    subtask-2 mix), sigma as andi draws it (uandi.simulate.andi.attm_sigma), gamma = sigma / alpha."""
    import numpy as np

    from uandi.simulate.andi import attm_sigma

    rng = np.random.default_rng(0)
    alpha = rng.uniform(0.05, 1.0, n)
    gamma = attm_sigma(rng, alpha) / alpha
    return float(((gamma >= lower) & (gamma < upper)).mean())


def viterbi(log_proba, penalty: float):
    """The class path maximising sum_t log p_t(class_t) - penalty * (number of switches).

    log_proba: (n, L, C) per-point log-probabilities. Returns (n, L) int64 class indices. O(n L C):
    each step either stays in its class or switches from the best class of the step before.
    """
    import numpy as np

    n, length, n_classes = log_proba.shape
    rows = np.arange(n)
    score = log_proba[:, 0].astype(np.float64)  # (n, C): best path score ending in each class
    came_from = np.zeros((n, length, n_classes), np.int8)
    for t in range(1, length):
        best = score.argmax(axis=1)  # (n,)
        switch = score[rows, best][:, None] - penalty  # (n, 1)
        take = switch > score  # (n, C): switching in beats staying
        came_from[:, t] = np.where(take, best[:, None], np.arange(n_classes)[None])
        score = np.where(take, switch, score) + log_proba[:, t]
    path = np.zeros((n, length), np.int64)
    path[:, -1] = score.argmax(axis=1)
    for t in range(length - 1, 0, -1):
        path[:, t - 1] = came_from[rows, t, path[:, t]]
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="trajectories per set")
    ap.add_argument("--model", default="diffusion-model", help="the diffusion-model network (name or path)")
    ap.add_argument("--model-class", default="attm", choices=sorted(ALPHA_EDGES), help="the true model to dissect")
    ap.add_argument("--andi-sets", default="", help="comma-separated .npz files from benchmarks/andi_sets.py")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", metavar="MARKDOWN", help="write the tables into this file's model_errors block")
    a = ap.parse_args()
    pin_threads(a.threads)  # before numpy is imported
    import numpy as np
    import torch

    from _report import markdown_table, reproduce_command, write_block
    from flavors import load_sets
    from uandi.constants import MODELS
    from uandi.predict import load
    from uandi.simulate import andi, dataset

    torch.set_num_threads(a.threads)
    net = load(a.model, device="cpu")
    target = MODELS.index(a.model_class)
    attm, ctrw = MODELS.index("attm"), MODELS.index("ctrw")
    edges = ALPHA_EDGES[a.model_class]
    bin_rows, decode_rows, reliability_rows = [], [], []
    for name, length, x, alpha, model in load_sets(a.n, [p for p in a.andi_sets.split(",") if p]):
        proba = np.asarray(net.predict_proba(x))  # (n, L, C)
        called = proba.argmax(axis=-1)
        log_proba = np.log(np.clip(proba, 1e-6, 1.0))
        decoded = [float((viterbi(log_proba, p) == model).mean()) for p in PENALTIES]
        decode_rows.append([length, name, f"{(called == model).mean():.4f}", *(f"{v:.4f}" for v in decoded)])
        print(decode_rows[-1], flush=True)
        if length != 500:
            continue
        top = proba.max(axis=-1)  # (n, L)
        confidence, right = top.ravel(), (called == model).ravel()
        which = np.clip(np.searchsorted(CONFIDENCE_EDGES, confidence, side="right") - 1, 0, len(CONFIDENCE_EDGES) - 2)
        cells, ece = [], 0.0
        for k in range(len(CONFIDENCE_EDGES) - 1):
            sel = which == k
            if sel.any():
                ece += sel.mean() * abs(right[sel].mean() - confidence[sel].mean())
                cells.append(f"{confidence[sel].mean():.2f} / {right[sel].mean():.2f} ({sel.mean():.2f})")
            else:
                cells.append("")
        attm_as_ctrw = (model == attm) & (called == ctrw) & (top >= 0.9)
        reliability_rows.append([name, *cells, f"{ece:.3f}", f"{(~right[confidence >= 0.9]).mean():.3f}",
                                 f"{attm_as_ctrw.sum() / (model == attm).sum():.3f}"])
        mine = model == target
        which = np.clip(np.searchsorted(edges, alpha[mine], side="right") - 1, 0, len(edges) - 2)
        for k in range(len(edges) - 1):
            sel = which == k
            share = np.bincount(called[mine][sel], minlength=len(MODELS)) / max(sel.sum(), 1)
            bin_rows.append([name, f"[{edges[k]:g}, {edges[k + 1]:g})", f"{sel.mean():.2f}", f"{share[target]:.3f}",
                             *(f"{s:.2f}" for c, s in enumerate(share) if c != target)])
        bin_rows.append([name, "all", "1", f"{(called[mine] == target).mean():.3f}", *[""] * (len(MODELS) - 1)])

    gamma_rows = []
    bounds = [0.0, *((g + h) / 2 for g, h in zip(GAMMAS[:-1], GAMMAS[1:])), float("inf")]
    for k, gamma in enumerate(GAMMAS):
        with mock.patch.object(andi, "attm_sigma", lambda rng, alpha, g=gamma: g * alpha):
            d = dataset("model", a.n, 500, np.random.default_rng([45, 500]), flavor="andi")
        called = np.asarray(net.predict(d.x))  # (n, L)
        mine = d.model == attm
        share = np.bincount(called[mine], minlength=len(MODELS)) / mine.sum()
        low, high = mine & (d.alpha < 0.5), mine & (d.alpha >= 0.5)
        gamma_rows.append([f"{gamma:g}", f"{andi_gamma_share(bounds[k], bounds[k + 1]):.2f}", f"{share[attm]:.3f}",
                           f"{(called[low] == attm).mean():.3f}", f"{(called[high] == attm).mean():.3f}",
                           *(f"{share[MODELS.index(m)]:.2f}" for m in ("ctrw", "fbm", "sbm")),
                           f"{(called == d.model).mean():.4f}"])
        print(gamma_rows[-1], flush=True)

    cls = a.model_class.upper()
    lines = [f"`{reproduce_command('model_errors.py', ap, a)}`", "",
             f"{cls}'s points at L = 500 by true alpha: the bin's share of {cls}'s points, the accuracy, and the "
             "share called each other model:", ""]
    lines += markdown_table(["set", "alpha", "share", "accuracy",
                             *(f"as {m.upper()}" for m in MODELS if m != a.model_class)], bin_rows)
    lines += ["", "Point accuracy of the argmax and of a Viterbi decoding with a penalty per switch of class:", ""]
    lines += markdown_table(["L", "set", "argmax", *(f"Viterbi, {p:g} nats" for p in PENALTIES)], decode_rows)
    lines += ["", "Reliability at L = 500: in each bin of the top probability, its mean / the share of points "
              "right (the bin's share of all points), the ECE, the share wrong among points called with "
              "p >= 0.9, and the share of ATTM's points called CTRW with p >= 0.9:", ""]
    lines += markdown_table(["set", *(f"[{lo:g}, {hi:g})" for lo, hi in zip(CONFIDENCE_EDGES[:-1], CONFIDENCE_EDGES[1:])),
                             "ECE", "wrong at p >= 0.9", "ATTM as CTRW at p >= 0.9"], reliability_rows)
    lines += ["", f"The andi flavour at L = 500 ({a.n} tracks per row, seed [45, 500] as flavors.py's set) with every "
              "ATTM segment's gamma fixed, at every alpha (andi's own draw reaches gamma >= 2 only at alpha >= 0.5); "
              "'andi's share': the share of andi's own ATTM segments whose gamma lies nearer this row's than any "
              "other row's:", ""]
    lines += markdown_table(["gamma", "andi's share", "ATTM accuracy", "alpha < 0.5", "alpha >= 0.5", "as CTRW",
                             "as FBM", "as SBM", "all points"], gamma_rows)
    text = "\n".join(lines)
    print(text)
    if a.write:
        write_block(Path(a.write), "model_errors", text)


if __name__ == "__main__":
    main()
