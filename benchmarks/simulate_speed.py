"""Simulation speed on one core, trajectories per second at L = 500: ours and, if importable, andi-datasets.

Workloads: the subtask 1 mix (dataset("alpha", n, 500, rng)), the subtask 2 mix in native units and
scale-free (dataset("model", n, 500, rng, scale=...)), and each model alone via
trajectories(model, n, 500, alpha, rng) with alpha uniform in the model's range, one per trajectory.
andi-datasets makes one trajectory per call (models_theory, 2D); its mixes are composed the way the
U-AnDi reference code does it: one andi call per segment (segment length + 1 points), increments
concatenated (scale-free: each segment's increments divided by their per-axis RMS), cumulative sum.
The segment plan (M, lengths, models, alphas) is drawn exactly as ours draws it.

Run with the andi venv to get both columns (see benchmarks/andi_compare.py for the environment):
    /tmp/andi-venv/bin/python benchmarks/simulate_speed.py --write docs/simulator.md
With the project venv alone it times ours only:
    .venv/bin/python benchmarks/simulate_speed.py
About a minute. Best of --repeats timings for both.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from _report import single_thread, write_block

single_thread()

import numpy as np  # noqa: E402  (after the thread settings)

from uandi.constants import ALPHA_RANGES, MODELS, TASK1_ALPHA_RANGE  # noqa: E402
from uandi.simulate import dataset, segment_lengths, trajectories  # noqa: E402

LENGTH = 500

try:
    from andi_datasets.models_theory import models_theory

    ANDI = models_theory()
except ImportError:  # the project venv: numpy 2, no andi-datasets
    ANDI = None


def random_alphas(rng: np.random.Generator, model: str, n: int) -> np.ndarray:
    lo, hi = ALPHA_RANGES[model]
    return rng.uniform(lo, hi, n)


def segment_plan(rng: np.random.Generator, task: str, n: int):
    """Per trajectory: list of (model, alpha, length), drawn like uandi.simulate.dataset."""
    n_seg = rng.integers(2, 6, n)
    lengths = segment_lengths(rng, n_seg, LENGTH)
    plans = []
    for i in range(n):
        segs, previous = [], None
        for j in range(n_seg[i]):
            if task == "alpha":
                model, alpha = "fbm", rng.uniform(*TASK1_ALPHA_RANGE)
            else:
                model = rng.choice([m for m in MODELS if m != previous])
                alpha = rng.uniform(*ALPHA_RANGES[model])
            segs.append((str(model), float(alpha), int(lengths[i, j])))
            previous = model
        plans.append(segs)
    return plans


def andi_segment_steps(model: str, alpha: float, steps: int) -> np.ndarray:
    """(steps, 2) increments of one andi-datasets trajectory of steps + 1 points."""
    xy = getattr(ANDI, model)(steps + 1, alpha, D=2)
    return np.diff(np.stack([xy[: steps + 1], xy[steps + 1 :]], axis=-1), axis=0)


def andi_mix(rng: np.random.Generator, task: str, n: int, scale: str) -> np.ndarray:
    out = np.empty((n, LENGTH, 2))
    for i, segs in enumerate(segment_plan(rng, task, n)):
        parts = []
        for model, alpha, length in segs:
            steps = andi_segment_steps(model, alpha, length)
            if scale == "free":
                rms = np.sqrt((steps**2).mean())
                steps = steps / rms if rms > 0 else steps
            parts.append(steps)
        inc = np.concatenate(parts)
        inc[0] = 0.0
        out[i] = np.cumsum(inc, axis=0)
    return out


def andi_single(rng: np.random.Generator, model: str, n: int) -> np.ndarray:
    out = np.empty((n, LENGTH, 2))
    for i, alpha in enumerate(random_alphas(rng, model, n)):
        xy = getattr(ANDI, model)(LENGTH, float(alpha), D=2)
        out[i, :, 0], out[i, :, 1] = xy[:LENGTH], xy[LENGTH:]
    return out


def rate(make, n: int, repeats: int) -> float:
    """Trajectories per second, best of `repeats` (after one small warm-up call)."""
    make(max(2, n // 20))
    best = min(_timed(make, n) for _ in range(repeats))
    return n / best


def _timed(make, n: int) -> float:
    start = time.perf_counter()
    make(n)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="trajectories per timing, ours (default 2000)")
    parser.add_argument("--n-andi", type=int, default=300, help="trajectories per timing, andi-datasets")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", metavar="MARKDOWN", help="write the table into this docs page")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    np.random.seed(args.seed)

    workloads = [
        ("subtask 1 mix: dataset('alpha')", lambda k: dataset("alpha", k, LENGTH, rng),
         lambda k: andi_mix(rng, "alpha", k, "free")),
        ("subtask 2 mix, native: dataset('model', scale='native')",
         lambda k: dataset("model", k, LENGTH, rng, scale="native"), lambda k: andi_mix(rng, "model", k, "native")),
        ("subtask 2 mix, scale-free: dataset('model')", lambda k: dataset("model", k, LENGTH, rng),
         lambda k: andi_mix(rng, "model", k, "free")),
        ("subtask 2 mix, scale-free, our andi flavour: dataset('model', flavor='andi')",
         lambda k: dataset("model", k, LENGTH, rng, flavor="andi"), lambda k: andi_mix(rng, "model", k, "free")),
        ("subtask 2 mix, scale-free, both flavours per segment (training)",
         lambda k: dataset("model", k, LENGTH, rng, flavor=["uandi", "andi"]),
         lambda k: andi_mix(rng, "model", k, "free")),
    ]
    for model in MODELS:
        lo, hi = ALPHA_RANGES[model]
        workloads.append(
            (f"{model.upper()} alone, alpha ~ U[{lo:g}, {hi:g}]",
             lambda k, m=model: trajectories(m, k, LENGTH, random_alphas(rng, m, k), rng),
             lambda k, m=model: andi_single(rng, m, k))
        )

    rows = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    start = time.perf_counter()
    for name, ours, andi in workloads:
        r_ours = rate(ours, args.n, args.repeats)
        r_andi = rate(andi, args.n_andi, args.repeats) if ANDI is not None else None
        rows.append((name, r_ours, r_andi))
        extra = f"   andi {r_andi:10.0f}/s   ratio {r_ours / r_andi:6.1f}x" if r_andi else ""
        print(f"{name:58s} ours {r_ours:10.0f}/s{extra}", flush=True)
    elapsed = time.perf_counter() - start

    cmd = ("/tmp/andi-venv/bin/python benchmarks/simulate_speed.py --write docs/simulator.md"
           if ANDI is not None else ".venv/bin/python benchmarks/simulate_speed.py --write docs/simulator.md")
    lines = [
        f"L = {LENGTH}, one core (thread pools pinned to 1, process pinned to one CPU), "
        f"{platform.processor() or platform.machine()}, "
        f"numpy {np.__version__}, Python {platform.python_version()}; ours: {args.n} trajectories per timing, "
        f"best of {args.repeats}; andi-datasets: {args.n_andi}, best of {args.repeats}; {elapsed:.0f} s in all; "
        f"load average {load:.1f} at the start on a {os.cpu_count()}-CPU machine (other jobs slow both columns alike).",
        "",
        f"Command: `{cmd}`",
        "",
        "| workload | ours (trajectories/s) | andi-datasets (trajectories/s) | ours / andi |",
        "|---|---|---|---|",
    ]
    for name, r_ours, r_andi in rows:
        andi_cell = f"{r_andi:,.0f}" if r_andi else "n/a"
        ratio = f"{r_ours / r_andi:,.1f}x" if r_andi else "n/a"
        lines.append(f"| {name} | {r_ours:,.0f} | {andi_cell} | {ratio} |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_block(args.write, "simulate_speed", text)


if __name__ == "__main__":
    main()
