"""A fixed subtask-2 (or subtask-1) set made with andi-datasets itself, for scoring our networks on someone
else's simulator.

    /tmp/andi-venv/bin/python benchmarks/andi_sets.py --n 1000 --length 500 --out runs/andi-model-500.npz
    python benchmarks/flavors.py --andi-sets runs/andi-model-500.npz ...
    /tmp/andi-venv/bin/python benchmarks/andi_sets.py --task alpha --n 2000 --length 500 --out runs/andi-alpha-500.npz
    python benchmarks/subtask1_simulators.py --andi-sets runs/andi-alpha-200.npz,runs/andi-alpha-500.npz

--task alpha: the subtask-1 composition of benchmarks/accuracy.py instead (every segment FBM, alpha
uniform in [0.05, 1.99], consecutive alphas more than --min-alpha-jump apart, as
uandi.simulate.dataset("alpha", ..., min_alpha_jump=0.5)), each segment andi-datasets' FBM.

The composition follows our subtask-2 sets (benchmarks/accuracy.py): 2-5 segments per trajectory of at
least 10 points (uandi.simulate.segment_lengths), the first model uniform among the five, each next
one a different model, alpha uniform in the model's range; but every segment is simulated by
andi-datasets' own 2D models (models_theory, in their native parametrisation), and its increments are
rescaled to unit per-axis RMS step (scale-free, like our sets). Segments are joined end to end.

Runs in the andi environment (see benchmarks/andi_compare.py); numpy's global generator is seeded, but
andi's FBM comes from the `stochastic` package's own unseeded generator, so FBM segments change
slightly from run to run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from uandi.constants import ALPHA_RANGES, MIN_SEGMENT, MODELS, TASK1_ALPHA_RANGE
from uandi.simulate import segment_lengths


def andi_segment(maker, model: str, n_steps: int, alpha: float) -> np.ndarray:
    """(n_steps, 2) increments of one andi-datasets 2D trajectory of n_steps + 1 points."""
    xy = getattr(maker, model)(n_steps + 1, alpha)  # x (T) then y (T)
    pos = np.stack([xy[: n_steps + 1], xy[n_steps + 1 :]], axis=-1)
    return np.diff(pos, axis=0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--out", required=True, help="output .npz")
    ap.add_argument("--task", choices=("model", "alpha"), default="model",
                    help="model: the subtask-2 mix (default); alpha: subtask 1, every segment FBM")
    ap.add_argument("--min-alpha-jump", type=float, default=0.5, help="--task alpha: least |alpha change|")
    a = ap.parse_args(argv)
    from andi_datasets.models_theory import models_theory

    maker = models_theory._twoD()
    rng = np.random.default_rng(a.seed)
    np.random.seed(a.seed)  # andi-datasets draws from numpy's global generator
    t0 = time.time()
    n_seg = rng.integers(2, 6, a.n)
    lengths = segment_lengths(rng, n_seg, a.length)
    x = np.zeros((a.n, a.length, 2), np.float32)
    alpha = np.zeros((a.n, a.length), np.float32)
    model = np.zeros((a.n, a.length), np.int8)
    changepoints = np.full((a.n, 4), -1, np.int32)
    for i in range(a.n):
        steps, start, previous = [], 0, -1
        for j, seg_len in enumerate(lengths[i, : n_seg[i]].tolist()):
            if a.task == "alpha":  # subtask 1: FBM throughout, each alpha far enough from the one before
                m, lo, hi = MODELS.index("fbm"), *TASK1_ALPHA_RANGE
                a_seg = float(rng.uniform(lo, hi))
                while j and abs(a_seg - float(alpha[i, start - 1])) <= a.min_alpha_jump:
                    a_seg = float(rng.uniform(lo, hi))
            else:
                m = int(rng.integers(0, len(MODELS))) if previous < 0 else (previous + int(rng.integers(1, 5))) % 5
                lo, hi = ALPHA_RANGES[MODELS[m]]
                a_seg = float(rng.uniform(lo, hi))
            inc = andi_segment(maker, MODELS[m], seg_len, a_seg)
            rms = np.sqrt((inc**2).mean())
            steps.append(inc / rms if rms > 0 else inc)
            alpha[i, start : start + seg_len] = a_seg
            model[i, start : start + seg_len] = m
            if j:
                changepoints[i, j - 1] = start
            start, previous = start + seg_len, m
        inc = np.concatenate(steps)
        inc[0] = 0.0  # the first point has no increment
        x[i] = np.cumsum(inc, axis=0)
    assert lengths.min() == 0 or lengths[lengths > 0].min() >= MIN_SEGMENT
    np.savez_compressed(a.out, x=x, alpha=alpha, model=model, changepoints=changepoints)
    print(f"wrote {a.n} andi-datasets trajectories of {a.length} points to {a.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
