"""`uandi segment` on a million-row file: wall time and peak memory -> docs/likelihood.md (block).

    python benchmarks/segment_scale.py --write docs/likelihood.md

The file: 2,000 tracks of 500 points (1,000,000 rows; track_id, frame, x, y in pixels), the subtask-2
mix of our simulator (2-5 segments of the five models, a random step size per segment). Each row of
the table is one run of the command line in a fresh process, with the default networks on 2 threads
and the likelihood stage in the default worker processes (uandi.workers: one per CPU, here 2):
  - the default (both tasks, exact likelihoods on FBM and SBM segments, one localization error per track);
  - --no-likelihood (the networks' values only);
  - --tasks alpha (the FBM network, the likelihood choosing the changepoints), with the default workers
    and with --workers 1 (one process).
Memory: the largest single process's peak RSS, and the peak of the whole process tree's proportional
set size (PSS: pages the worker processes share with their parent after the fork counted once),
sampled every 0.1 s from /proc (Linux).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402

from uandi.simulate import dataset  # noqa: E402

RUNS = [("default (both tasks, likelihood)", []), ("--no-likelihood", ["--no-likelihood"]),
        ("--tasks alpha (FBM assumed)", ["--tasks", "alpha"]),
        ("--tasks alpha --workers 1 (one process)", ["--tasks", "alpha", "--workers", "1"])]


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of process pid and all its descendants, KiB (0 once it has ended)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(cmd: list) -> tuple[float, float, float]:
    """Wall seconds, the largest process's peak RSS and the tree's peak PSS (MiB) of one command."""
    # a fresh parent per run, so that its children's peak RSS is this run's alone
    wrapper = ("import resource, subprocess, sys, time; t = time.time(); "
               "p = subprocess.Popen(sys.argv[1:]); print(p.pid, flush=True); p.wait(); "
               "print(time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *cmd], stdout=subprocess.PIPE, text=True)
    pid = int(proc.stdout.readline())
    peak_pss = 0
    while proc.poll() is None:
        peak_pss = max(peak_pss, tree_pss_kib(pid))
        time.sleep(0.1)
    seconds, peak_kib = proc.stdout.read().split()[-2:]
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed")
    return float(seconds), float(peak_kib) / 1024, peak_pss / 1024


def make_file(path: Path, n_tracks: int, length: int) -> None:
    d = dataset("model", n_tracks, length, np.random.default_rng(5), diffusion_factor=(0.5, 2.0))
    xy = 3.0 * d.x.astype(np.float64) + 100.0  # pixels
    pd.DataFrame({"track_id": np.repeat(np.arange(n_tracks), length), "frame": np.tile(np.arange(length), n_tracks),
                  "x": xy[:, :, 0].ravel(), "y": xy[:, :, 1].ravel()}).to_csv(path, index=False, float_format="%.4f")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, default=2000)
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracks.csv"
        make_file(path, a.tracks, a.length)
        size_mb = path.stat().st_size / 1e6
        for name, extra in RUNS:
            out = Path(tmp) / f"out{len(rows)}"
            cmd = [sys.executable, "-m", "uandi.cli", "segment", str(path), "-o", str(out), "--quiet", *extra]
            rows.append((name, *run_measured(cmd)))
            print(rows[-1], flush=True)
    lines = [f"`python benchmarks/segment_scale.py` - {a.tracks:,} tracks x {a.length} points = "
             f"{a.tracks * a.length:,} rows ({size_mb:.0f} MB CSV), shipped networks, 2 threads, "
             f"{platform.machine()}, Python {platform.python_version()}.", "",
             "| run | wall time (s) | rows/s | peak memory, largest process (MiB) | peak memory, all processes "
             "(PSS, MiB) |", "|---|---|---|---|---|"]
    for name, seconds, peak, pss in rows:
        lines.append(f"| {name} | {seconds:.0f} | {a.tracks * a.length / seconds:,.0f} | {peak:,.0f} | {pss:,.0f} |")
    text = "\n".join(lines)
    print(text)
    if a.write:
        write_block(a.write, "segment_scale", text)


if __name__ == "__main__":
    main()
