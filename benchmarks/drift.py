"""What a drift or a flow shared by all tracks does to alpha and its error bars -> docs/real_data.md (block).

    python benchmarks/drift.py --write docs/real_data.md      # ~1 min on one core

Part A, simulated: files of --n FBM tracks of --length points (uandi.simulate.fbm), each track scaled by
its own factor, log-uniform in [0.1, 1] (particles of different speeds). One constant velocity per file,
in a random direction, of size z times the RMS spread of the tracks' own mean steps per axis
(uandi.drift's track_z, measured on the file before the drift is added), added to every track (a
drifting stage) or to all but the slowest quarter (a flow that leaves the slow particles in place).
Per file, `uandi.segment(..., tasks=("alpha",))` (the FBM network, the likelihood choosing the
changepoints) with the drift left in and with drift="constant": the median of the likelihood's alpha
over its segments, and the share of their 95 % intervals (alpha +- 1.96 alpha_se) that hold the true
alpha; the track_z that uandi estimates, and the notice (none, "drift", "flow", or "changing"). A
third kind of file has a stage that goes one way for the first half of the frames and comes back
("out and back": no mean velocity).

Part B, false notices: drift-free files of the five models (uandi.simulate.trajectories, our flavour;
each track's steps scaled to unit RMS, then by a factor log-uniform in [0.1, 1]), --files files of --n
tracks of --length points, model and alpha drawn per track; how many files' estimates are notable,
and how many are flow-like or changing (uandi.drift.Drift). Only the estimate runs (no network).

Part C, real data (if --real holds it): the Brownian beads of Granik et al. 2019, tracks of at least
100 points, --exposure 1.0 as in docs/real_data.md. The shared velocity of the tracks by their RMS
step; then the product on all of them with the drift left in (and drift="constant", which refuses a
flow), and on the moving 80 % (RMS step above the 20th percentile) with the velocity left in and
taken out of them alone: segments of the likelihood (at the range's edge included), the share of
their intervals that hold 1, weighted by segment and by point, and the median alpha.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, reproduce_command, single_thread, write_block  # noqa: E402

Z = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0)
ALPHAS = (0.5, 1.0)


def scored(tracks, truth: float, **kw) -> dict:
    """uandi.segment's likelihood segments against the true alpha: median alpha, coverage by segment and
    by point, number of segments; the notice fired (None, "drift" or "flow") and segments.attrs["drift"].
    A refusal (ValueError) comes back as {"refused": message}."""
    import numpy as np

    import uandi
    from uandi.notices import UandiNotice

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UandiNotice)
            _, seg = uandi.segment(tracks, tasks=("alpha",), **kw)
    except ValueError as err:
        return {"refused": str(err)}
    words = [str(w.message) for w in caught if "mean velocity" in str(w.message)]
    s = seg[seg.alpha_method.fillna("").str.startswith("likelihood")]
    inside = ((s.alpha - 1.96 * s.alpha_se <= truth) & (truth <= s.alpha + 1.96 * s.alpha_se)).to_numpy()
    return {"median": float(s.alpha.median()), "coverage": float(inside.mean()),
            "by point": float(np.average(inside, weights=s.length)), "segments": len(s),
            "notice": _kind(words[0]) if words else "none", "drift": seg.attrs["drift"]}


def _kind(notice: str) -> str:
    """The notice in one word: flow, changing (drift), or drift."""
    return "flow" if "a flow" in notice else "changing" if "changes over the recording" in notice else "drift"


def _cells(r: dict) -> list[str]:
    if "refused" in r:
        return ["refused", "refused"]
    return [f"{r['median']:.3f}", f"{r['coverage']:.3f}"]


def part_a(a, rng) -> list[str]:
    import numpy as np

    from uandi.drift import estimate_drift, laid_end_to_end
    from uandi.simulate.fbm import fbm

    rows = []
    for alpha in ALPHAS:
        scale = np.exp(rng.uniform(np.log(0.1), 0.0, a.n))  # (n,) each particle's own speed
        x = fbm(rng, np.full(a.n, alpha), a.length) * scale[:, None, None]  # (n, L, 2)
        free = estimate_drift(*laid_end_to_end(x))
        spread = np.sqrt((((x[:, -1] - x[:, 0]) / (a.length - 1) - free.velocity) ** 2).sum(axis=1).mean() / 2)
        angle = rng.uniform(0, 2 * np.pi)
        carried = scale > np.quantile(scale, 0.25)  # (n,) all but the slowest quarter
        frames = np.arange(a.length)
        for kind, z in [("stage", z) for z in Z] + [("flow", 3.0), ("out and back", 3.0)]:
            v = z * spread * np.array([np.cos(angle), np.sin(angle)])
            moves = carried if kind == "flow" else np.ones(a.n, bool)
            clock = np.minimum(frames, a.length - 1 - frames) if kind == "out and back" else frames  # (L,)
            tracks = x + (moves[:, None, None] * clock[None, :, None] * v[None, None, :])
            left, fixed = scored(tracks, alpha), scored(tracks, alpha, drift="constant")
            rows.append([f"{alpha:g}", kind, f"{z:g}", f"{left['drift']['track_z']:.2f}", left["notice"],
                         *_cells(left), *_cells(fixed)])
            print(rows[-1], flush=True)
    return markdown_table(["true alpha", "shared motion", "z (given)", "track_z (estimated)", "notice",
                           "median alpha, left in", "coverage, left in", "median alpha, drift='constant'",
                           "coverage, drift='constant'"], rows)


def part_b(a, rng) -> list[str]:
    import numpy as np

    from uandi.constants import ALPHA_RANGES, MODELS
    from uandi.drift import estimate_drift, laid_end_to_end
    from uandi.simulate import trajectories

    notable = flow = changes = 0
    z = []
    for _ in range(a.files):
        tracks = []
        for model in rng.choice(MODELS, size=a.n):
            lo, hi = ALPHA_RANGES[model]
            x = trajectories(model, 1, a.length, rng.uniform(lo, hi), rng)[0]
            rms = np.sqrt((np.diff(x, axis=0) ** 2).sum(axis=1).mean() / 2)
            tracks.append(x / max(rms, 1e-12) * np.exp(rng.uniform(np.log(0.1), 0.0)))
        est = estimate_drift(*laid_end_to_end(tracks),
                             frame=np.tile(np.arange(a.length), a.n))
        notable += est.notable
        flow += est.flow_like
        changes += est.changes
        z.append(est.track_z)
    return [f"Part B: {a.files} drift-free files of {a.n} five-model tracks of {a.length} points: notable in "
            f"{notable} ({notable / a.files:.1%}), flow-like in {flow} ({flow / a.files:.1%}), changing in {changes} "
            f"({changes / a.files:.1%}); estimated track_z: "
            f"median {np.median(z):.3f}, largest {max(z):.3f}."]


def part_c(a) -> list[str]:
    import numpy as np
    import scipy.io

    from uandi.drift import estimate_drift, laid_end_to_end

    tr = scipy.io.loadmat(Path(a.real) / "granik2019_brownian_beads.mat")["tr"]
    _, start, count = np.unique(tr[:, 2], return_index=True, return_counts=True)
    tracks = [tr[s : s + c, :2].astype(np.float64) for s, c in zip(start, count) if c >= 100]
    steps = [np.diff(t, axis=0) for t in tracks]
    rms = np.array([np.sqrt(((d - d.mean(axis=0)) ** 2).sum(axis=1).mean() / 2) for d in steps])
    edges = np.quantile(rms, [0, 0.1, 0.2, 0.5, 1.0])
    band_rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = [t for t, r in zip(tracks, rms) if lo <= r <= hi]
        est = estimate_drift(*laid_end_to_end(part))
        (vx, vy), (sx, sy) = est.velocity, est.se
        band_rows.append([f"{lo:.3f}-{hi:.3f}", len(part), f"{vx:.4f} +- {sx:.4f}", f"{vy:.4f} +- {sy:.4f}"])
    lines = [f"Part C: {len(tracks)} bead tracks of >= 100 points. The shared velocity by the tracks' RMS step "
             "(bands: 0-10-20-50-100 % of the tracks):", ""]
    lines += markdown_table(["RMS step per axis, px", "tracks", "vx, px per frame", "vy"], band_rows) + [""]
    moving = [t for t, r in zip(tracks, rms) if r > np.quantile(rms, 0.2)]
    v = estimate_drift(*laid_end_to_end(moving)).velocity
    rows = []
    for label, tt, kw in (("all, left in", tracks, {}), ('all, drift="constant"', tracks, {"drift": "constant"}),
                          ("moving 80 %, left in", moving, {}),
                          ("moving 80 %, their velocity taken out", [t - np.arange(len(t))[:, None] * v for t in moving], {})):
        r = scored(tt, 1.0, exposure=1.0, **kw)
        if "refused" in r:
            rows.append([label, "refused (a flow)", "", "", "", "", ""])
            continue
        rows.append([label, f"{r['drift']['track_z']:.2f}", r["notice"], r["segments"], f"{r['coverage']:.3f}",
                     f"{r['by point']:.3f}", f"{r['median']:.3f}"])
        print(rows[-1], flush=True)
    return lines + markdown_table(["beads, exposure 1.0", "track_z", "notice", "segments", "coverage of 1",
                                   "by point", "median alpha"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="tracks per file")
    ap.add_argument("--length", type=int, default=200, help="points per track")
    ap.add_argument("--files", type=int, default=200, help="drift-free files in part B")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--real", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "real"))
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    single_thread()
    import numpy as np
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    lines = ["Reproduce: `" + reproduce_command(__file__, ap, a) + "`", ""]
    lines += [f"Part A: {a.n} FBM tracks of {a.length} points per file, one shared velocity per file:", ""]
    lines += part_a(a, rng) + [""]
    lines += part_b(a, rng) + [""]
    if (Path(a.real) / "granik2019_brownian_beads.mat").is_file():
        lines += part_c(a)
    print("\n".join(lines))
    print(f"{time.time() - t0:.0f} s")
    if a.write:
        write_block(a.write, "drift", "\n".join(lines))


if __name__ == "__main__":
    main()
