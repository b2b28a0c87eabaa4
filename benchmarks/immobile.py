"""How often the immobile test calls a piece immobile: particles at rest and FBM -> docs/reliability.md.

    python benchmarks/immobile.py --write docs/reliability.md

Particles at rest seen with Gaussian localization error, and 2D FBM (uandi.simulate.fbm) of several
alpha, on pieces of 20, 50 and 200 points; the flat-MSD test of uandi.immobile without a known
localization error, at its default level. About 10 s on one core.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from uandi.immobile import LEVEL, immobile_reason
from uandi.simulate.fbm import fbm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402

ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="pieces per cell")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    rows = ["| points per piece | at rest | " + " | ".join(f"FBM alpha {x:g}" for x in ALPHAS) + " |",
            "|---" * (2 + len(ALPHAS)) + "|"]
    for length in (20, 50, 200):
        pieces = [rng.normal(size=(a.n, length, 2))] + [fbm(rng, np.full(a.n, x), length) for x in ALPHAS]
        rates = [np.mean([immobile_reason(p) != "" for p in group]) for group in pieces]
        rows.append(f"| {length} | " + " | ".join(f"{100 * r:.1f} %" for r in rates) + " |")
    body = (f"Share of pieces called immobile (flat-MSD test, level {LEVEL}, no localization error given), "
            f"{a.n} pieces per cell, seed {a.seed}.\n\nCommand: `python benchmarks/immobile.py --write "
            f"docs/reliability.md`\n\n" + "\n".join(rows))
    print(body)
    if a.write:
        write_block(a.write, "immobile", body)


if __name__ == "__main__":
    main()
