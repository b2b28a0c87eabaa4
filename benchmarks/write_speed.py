"""Time `uandi simulate` writing a large subtask-2 dataset to disk with parallel workers.

    python benchmarks/write_speed.py --write docs/simulator.md          # 1,000,000 x L = 500, 2 workers

Target (issue: simulator): 1,000,000 subtask-2 trajectories at L = 500 on disk in under 10 minutes on
2 cores, never holding more than one shard per worker in memory. The folder (about 6.5 GB) is written
to a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="uandi-write-"))
    out = tmp / "data"
    cmd = [sys.executable, "-m", "uandi.cli", "simulate", "--task", "model", "--length", str(a.length), "--n",
           str(a.n), "--seed", "0", "--out", str(out), "--workers", str(a.workers), "--quiet"]
    t = time.time()
    subprocess.run(cmd, check=True)
    seconds = time.time() - t
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    shutil.rmtree(tmp)
    body = (f"`python benchmarks/write_speed.py --write docs/simulator.md`: {a.n:,} subtask-2 trajectories "
            f"(L = {a.length}, scale-free) written by {a.workers} workers in {seconds:.0f} s "
            f"({a.n / seconds:,.0f} trajectories/s, {size / 2**30:.1f} GiB on disk, peak memory of one worker "
            f"{peak_mb:,.0f} MB); target: under 600 s.")
    print(body)
    if a.write:
        write_block(a.write, "write_speed", body)


if __name__ == "__main__":
    main()
