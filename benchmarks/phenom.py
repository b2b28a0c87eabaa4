"""The product on another group's switching-diffusion simulator: andi-datasets' models_phenom (the AnDi 2
challenge's phenomenological models) -> docs/phenom.md.

    /tmp/andi-venv/bin/python benchmarks/phenom.py make --n 500 --length 200 --out runs/phenom-200.npz
    /tmp/andi-venv/bin/python benchmarks/phenom.py make --n 300 --length 500 --seed 6 --out runs/phenom-500.npz
    python benchmarks/phenom.py score runs/phenom-200.npz runs/phenom-500.npz --write docs/phenom.md
    python benchmarks/phenom.py score runs/phenom-200.npz runs/phenom-500.npz --noise 0.3 --block phenom_noise \
        --write docs/phenom.md

An SPT track changes its motion most often by changing its diffusion coefficient (binding, unbinding,
entering a compartment), at the same or another exponent. models_phenom.multi_state simulates exactly
that: a particle that switches between two FBM states (a Markov chain per frame), each state its own
alpha and D (per-axis MSD = 2 D t^alpha, uandi's K convention: checked, ratio 0.98-1.02 at lags 1-100).
Its FBM, its switching and its labels are andi-datasets' own, so this set is not ours in any part.

`make` (the andi environment of benchmarks/andi_compare.py) writes three sets of --n tracks each:
- "alpha and D": each track's two states draw alpha uniform in [0.2, 1.8] and log10 D uniform in
  [-2, 0], states at least 0.5 apart in alpha or a factor 4 apart in D;
- "D only": both states share alpha (uniform in [0.3, 1.5]) and their D differ by a factor 4-30
  (log-uniform), as a bound and a free state;
- "alpha only": both states share D (log10 uniform in [-2, 0]) and their alphas differ by at least 0.5.
Switching probability 0.015 per frame (segments of 67 frames on average), the first state drawn from the
chain's stationary law; the box (reflecting walls) is set far beyond the tracks' reach; positions are
taken relative to each track's first one. Stored: x (N, L, 2), alpha and D (N, L) per point.

`score` runs uandi.segment with the alpha task alone (FBM assumed: every segment here is FBM) and with
both tasks (the default), and writes per set: changepoint precision, recall (also of the changes whose
two segments both have 20 points or more) and F1 (10-frame tolerance, uandi.metrics), point-wise alpha MAE, the median |log10| error of K where K is reported, and the share
of segments whose 95 % intervals of alpha and K hold the truth of most of their points. --noise adds
white localization noise (with_noise), seeded.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, pin_threads, write_block  # noqa: E402  (no thread pool)
from alpha_error import segment_truth  # noqa: E402  (imports numpy only when called)

if TYPE_CHECKING:  # numpy is imported after pin_threads (their thread pools read it at import)
    import numpy as np

SETS = ("alpha and D", "D only", "alpha only")
SWITCH = 0.015  # probability per frame of leaving a state
TOLERANCE = 10  # frames: a found changepoint within this of a true one is a hit (uandi.metrics)


def _state_pair(rng, kind: str) -> tuple[list, list]:
    """Two states' (alpha, D) of one track, as `make` draws them for set `kind`."""
    while True:
        if kind == "D only":
            alpha = [rng.uniform(0.3, 1.5)] * 2
            d0 = 10 ** rng.uniform(-2, 0)
            d = [d0, d0 * 10 ** rng.uniform(0.6, 1.48)]
            if rng.random() < 0.5:
                d = d[::-1]
            return alpha, d
        alpha = list(rng.uniform(0.2, 1.8, 2))
        d = list(10 ** rng.uniform(-2, 0, 2)) if kind == "alpha and D" else [10 ** rng.uniform(-2, 0)] * 2
        apart_alpha = abs(alpha[0] - alpha[1]) >= 0.5
        apart_d = max(d) / min(d) >= 4
        if apart_alpha if kind == "alpha only" else (apart_alpha or apart_d):
            return alpha, d


def make(n: int, length: int, seed: int, out: str) -> None:
    import numpy as np
    from andi_datasets.models_phenom import models_phenom

    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # andi-datasets draws from numpy's global generator
    maker = models_phenom()
    box = 1e4 * np.sqrt(length)  # reflecting walls far beyond reach (D <= 1, alpha <= 1.8: reach ~ 3 L^0.9)
    arrays = {}
    t0 = time.time()
    for kind in SETS:
        x = np.zeros((n, length, 2))
        alpha, d = np.zeros((n, length)), np.zeros((n, length))
        for i in range(n):
            alphas, ds = _state_pair(rng, kind)
            tr, lab = maker.multi_state(N=1, T=length, M=[[1 - SWITCH, SWITCH], [SWITCH, 1 - SWITCH]],
                                        Ds=[[ds[0], 0], [ds[1], 0]], alphas=[[alphas[0], 0], [alphas[1], 0]],
                                        L=box)
            x[i] = tr[:, 0] - tr[0, 0]  # tr: (T, N, 2); lab: (T, N, 2) alpha, D per point
            alpha[i], d[i] = lab[:, 0, 0], lab[:, 0, 1]
        key = kind.replace(" ", "_")
        arrays.update({f"{key}_x": x, f"{key}_alpha": alpha, f"{key}_D": d})
    from importlib.metadata import version

    np.savez_compressed(out, andi_version=np.array(version("andi-datasets")), **arrays)
    print(f"wrote {out}: {len(SETS)} sets of {n} tracks of {length} points, {time.time() - t0:.0f} s")


def true_changepoints(alpha: np.ndarray, d: np.ndarray) -> list:
    """Per track, the points where its state (alpha or D) differs from the point before."""
    import numpy as np

    change = (np.diff(alpha, axis=1) != 0) | (np.diff(d, axis=1) != 0)
    return [np.flatnonzero(row) + 1 for row in change]


def score_set(x, alpha, d, tasks, workers: int, weights: dict | None = None) -> dict:
    import numpy as np

    import uandi
    from uandi.metrics import changepoint_scores

    points, seg = uandi.segment(x, tasks=tasks, workers=workers, weights=weights)
    found = [seg.first_frame[(seg.track_id == k) & (seg.segment > 0)].to_numpy() for k in range(len(x))]
    true = true_changepoints(alpha, d)
    cp = changepoint_scores(found, true, threshold=TOLERANCE)
    # recall of the changes whose two segments both have at least 20 points (a third of the changes have a
    # neighbour under 10 points: the chain often flips back within a few frames)
    hits = []
    for t, f in zip(true, found):
        nodes = np.r_[0, t, x.shape[1]]
        wide = np.minimum(np.diff(nodes)[:-1], np.diff(nodes)[1:]) >= 20
        hits += [len(f) > 0 and np.min(np.abs(f - c)) <= TOLERANCE for c in t[wide]]
    pred = points.pivot(index="track_id", columns="frame", values="alpha").to_numpy()
    truth_alpha, truth_k = segment_truth(alpha, seg), segment_truth(d, seg)
    has_se = np.isfinite(seg.alpha_se.to_numpy())
    has_k = np.isfinite(seg.K.to_numpy()) & np.isfinite(seg.K_se.to_numpy())
    log_k = np.log(seg.K.to_numpy()[has_k])
    log_k_se = seg.K_se.to_numpy()[has_k] / seg.K.to_numpy()[has_k]
    return {
        "precision": cp["tp"] / max(cp["tp"] + cp["fp"], 1), "recall": cp["tp"] / max(cp["tp"] + cp["fn"], 1),
        "recall_20": float(np.mean(hits)),
        "f1": cp["f1"], "mae": float(np.nanmean(np.abs(pred - alpha))),
        "alpha_held": float(np.mean(np.abs(seg.alpha.to_numpy() - truth_alpha)[has_se]
                                    <= 1.96 * seg.alpha_se.to_numpy()[has_se])),
        "with_se": float(np.mean(has_se)),
        "k_err": float(np.median(np.abs(log_k - np.log(truth_k[has_k])) / np.log(10))) if has_k.any() else np.nan,
        "k_held": float(np.mean(np.abs(log_k - np.log(truth_k[has_k])) <= 1.96 * log_k_se)) if has_k.any() else np.nan,
        "with_k": float(np.mean(has_k)), "segments": len(seg),
    }


def _andi_version(path: str) -> str:
    import numpy as np

    return str(np.load(path)["andi_version"])


def with_noise(x: np.ndarray, sigma: float, rng) -> np.ndarray:
    """x (N, L, 2) plus white localization noise of per-axis standard deviation sigma times each track's
    RMS per-axis step: one precision per track, as a microscope gives, so a track's slow state carries
    relatively more noise than its fast one."""
    import numpy as np

    step = np.sqrt(np.mean(np.diff(x, axis=1) ** 2, axis=(1, 2)))  # (N,)
    return x + sigma * step[:, None, None] * rng.standard_normal(x.shape)


def score(path: str, n: int | None, workers: int, noise: float = 0.0, alpha_weights: str | None = None) -> list:
    import numpy as np

    f = np.load(path)
    rows = []
    rng = np.random.default_rng(0)
    for kind in SETS:
        key = kind.replace(" ", "_")
        x, alpha, d = f[f"{key}_x"][:n], f[f"{key}_alpha"][:n], f[f"{key}_D"][:n]
        if noise:
            x = with_noise(x, noise, rng)
        n_true = sum(len(c) for c in true_changepoints(alpha, d))
        for tasks in (("alpha",), ("alpha", "model")):
            t0 = time.time()
            weights = {"alpha": alpha_weights} if alpha_weights and tasks == ("alpha",) else None
            r = score_set(x, alpha, d, tasks, workers, weights)
            rows.append([kind, x.shape[1], " + ".join(tasks), f"{n_true}", f"{r['precision']:.2f}", f"{r['recall']:.2f}",
                         f"{r['recall_20']:.2f}", f"{r['f1']:.3f}", f"{r['mae']:.3f}", f"{r['with_se']:.2f}",
                         f"{r['alpha_held']:.2f}", f"{r['with_k']:.2f}", f"{r['k_err']:.3f}", f"{r['k_held']:.2f}"])
            print(rows[-1], f"{time.time() - t0:.0f} s", flush=True)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    mk = sub.add_parser("make", help="write the sets (andi environment)")
    mk.add_argument("--n", type=int, default=500, help="tracks per set")
    mk.add_argument("--length", type=int, default=200)
    mk.add_argument("--seed", type=int, default=5)
    mk.add_argument("--out", required=True)
    sc = sub.add_parser("score", help="score uandi.segment on the sets")
    sc.add_argument("sets", nargs="+", help=".npz files written by `make`")
    sc.add_argument("--n", type=int, help="first n tracks of each set (default: all)")
    sc.add_argument("--threads", type=int, default=2)
    sc.add_argument("--write", metavar="MARKDOWN")
    sc.add_argument("--noise", type=float, default=0.0,
                    help="localization noise, per-axis std relative to each track's RMS per-axis step")
    sc.add_argument("--block", default="phenom")
    sc.add_argument("--alpha", help="FBM alpha network of the alpha-task rows (name, weights file or run folder; "
                    "default the shipped one); the both-task rows keep the shipped pair")
    a = ap.parse_args(argv)
    if a.mode == "make":
        make(a.n, a.length, a.seed, a.out)
        return
    pin_threads(a.threads)
    import torch

    torch.set_num_threads(a.threads)
    rows = []
    for path in a.sets:
        rows += score(path, a.n, a.threads, a.noise, a.alpha)
    header = ["set", "L", "tasks", "true changes", "precision", "recall", "recall, both sides >= 20 points", "F1",
              "alpha MAE (points)", "segments with alpha_se", "alpha held", "segments with K", "median abs log10 K err",
              "K held"]
    command = " ".join(["python benchmarks/phenom.py score", *a.sets] + ([f"--n {a.n}"] if a.n else [])
                       + [f"--noise {a.noise:g}"] * bool(a.noise) + [f"--alpha {a.alpha}"] * bool(a.alpha)
                       + [f"--block {a.block}"] * (a.block != "phenom")
                       + [f"--write {a.write}"] * bool(a.write))
    body = (f"Command: `{command}`; andi-datasets {_andi_version(a.sets[0])}, {a.threads} thread(s).\n\n"
            + "\n".join(markdown_table(header, rows)))
    print(body)
    if a.write:
        write_block(a.write, a.block, body)


if __name__ == "__main__":
    main()
