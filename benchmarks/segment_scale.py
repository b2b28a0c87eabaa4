"""`uandi segment` on a million-row file: wall time and peak memory -> docs/likelihood.md (block).

    python benchmarks/segment_scale.py --write docs/likelihood.md

The file: 2,000 tracks of 500 points (1,000,000 rows; track_id, frame, x, y in pixels), the subtask-2
mix of our simulator (2-5 segments of the five models, a random step size per segment). Each row of
the table is one run of the command line in a fresh process (its peak resident memory is the
child's maximum RSS), with the default networks on 2 threads:
  - the default (both tasks, exact likelihoods on FBM and SBM segments, one localization error per track);
  - --no-likelihood (the networks' values only);
  - --tasks alpha (the FBM network, the likelihood choosing the changepoints).
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
        ("--tasks alpha (FBM assumed)", ["--tasks", "alpha"])]


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
            # a fresh parent per run, so that its children's peak RSS is this run's alone
            wrapper = ("import resource, subprocess, sys, time; t = time.time(); "
                       f"subprocess.run({cmd!r}, check=True); "
                       "print(time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            res = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True, text=True)
            seconds, peak_kib = res.stdout.split()[-2:]
            rows.append((name, float(seconds), float(peak_kib) / 1024))
            print(rows[-1], flush=True)
    lines = [f"`python benchmarks/segment_scale.py` - {a.tracks:,} tracks x {a.length} points = "
             f"{a.tracks * a.length:,} rows ({size_mb:.0f} MB CSV), shipped networks, 2 threads, "
             f"{platform.machine()}, Python {platform.python_version()}.", "",
             "| run | wall time (s) | rows/s | peak memory (MiB) |", "|---|---|---|---|"]
    for name, seconds, peak in rows:
        lines.append(f"| {name} | {seconds:.0f} | {a.tracks * a.length / seconds:,.0f} | {peak:,.0f} |")
    text = "\n".join(lines)
    print(text)
    if a.write:
        write_block(a.write, "segment_scale", text)


if __name__ == "__main__":
    main()
