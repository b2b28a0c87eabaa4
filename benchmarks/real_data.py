"""What the shipped models report on real tracks, beside simulated controls that explain it.

    python benchmarks/real_data.py --write docs/real_data.md      # about 3 minutes on 2 cores

Real files (../shared/data/real, see its README): Brownian beads of Granik et al. 2019 (3,420 tracks,
501 with >= 100 points) and the saspt sample of a nuclear protein (1,000 tracks, median 3 points).
For the beads the script reports the network's point-wise alpha and model labels on pieces of at least
100 points, and two model-free statistics of the same pieces: the time-averaged MSD exponent (lags 1-10)
and the lag-1 correlation of consecutive steps (0 for Brownian motion, 2^(alpha-1) - 1 for FBM,
negative with localization noise, positive with motion blur).

Controls, simulated with the beads' length distribution: Brownian motion observed at instants; with
localization noise; and with motion blur (each frame the average position over an exposure as long as
the frame, 20 sub-steps). They show what the networks report on each kind of Brownian data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402

from uandi import segment  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
LONG = 100  # points: the pieces summarised


def step_statistics(tracks: list[np.ndarray]) -> tuple[float, float]:
    """Median over tracks of the TA-MSD exponent (lags 1-10) and of the lag-1 step correlation."""
    lags = np.arange(1, 11)
    exponents, correlations = [], []
    for x in tracks:  # (L, 2)
        msd = np.array([((x[lag:] - x[:-lag]) ** 2).sum(axis=1).mean() for lag in lags])
        exponents.append(np.polyfit(np.log(lags), np.log(msd), 1)[0])
        dx = np.diff(x, axis=0)
        dx = dx - dx.mean(axis=0)
        correlations.append((dx[1:] * dx[:-1]).sum() / (dx**2).sum())
    return float(np.median(exponents)), float(np.median(correlations))


def long_pieces(points: pd.DataFrame, x: str, y: str) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The analysed points of pieces with >= LONG points, and each such piece's positions."""
    size = points.groupby(["track_id", "piece"])["row"].transform("size")
    keep = points[(size >= LONG) & (points["reason"] == "")]
    tracks = [g[[x, y]].to_numpy(float) for _, g in keep.groupby(["track_id", "piece"], sort=False)]
    return keep, tracks


def summarise(name: str, points: pd.DataFrame, segments: pd.DataFrame, x: str, y: str) -> dict:
    keep, tracks = long_pieces(points, x, y)
    pieces = keep.groupby(["track_id", "piece"]).ngroups
    lengths = segments[segments["reason"] == ""].groupby(["track_id", "piece"])["length"]
    per_piece = lengths.size()[lengths.sum() >= LONG]  # segments of each piece of >= LONG points
    exponent, corr = step_statistics(tracks)
    labels = keep["model"].value_counts(normalize=True)
    q1, med, q3 = keep["alpha"].quantile([0.25, 0.5, 0.75])
    # the per-segment alpha the product reports: the exact likelihood's where the segment is FBM
    rq1, rmed, rq3 = keep["segment_alpha"].quantile([0.25, 0.5, 0.75])
    analysed = segments[segments["reason"] == ""]
    by_likelihood = analysed["alpha_method"].astype(str).str.startswith("likelihood")
    share = (analysed.loc[by_likelihood, "length"].sum() / analysed["length"].sum()) if len(analysed) else 0.0
    # every row is Brownian motion (alpha 1), the beads nearly: does the network's error bar hold 1?
    network = analysed[~by_likelihood & analysed["alpha_se"].notna()]
    holds_one = (np.abs(network["alpha"] - 1) <= 1.96 * network["alpha_se"]).mean() if len(network) else np.nan
    return {"data": name, "pieces": pieces, "points": len(keep), "alpha": f"{med:.2f} ({q1:.2f}-{q3:.2f})",
            "segment alpha": f"{rmed:.2f} ({rq1:.2f}-{rq3:.2f})",
            "points with likelihood alpha": f"{share:.0%}",
            "median alpha_se": f"{analysed.loc[by_likelihood, 'alpha_se'].median():.2f}" if by_likelihood.any() else "",
            "network's segments: 1 within alpha +- 1.96 alpha_se": f"{holds_one:.2f} of {len(network)}",
            "TA-MSD exponent": f"{exponent:.2f}", "lag-1 step correlation": f"{corr:+.3f}",
            "FBM alpha of that correlation": f"{1 + np.log2(1 + corr):.2f}" if corr > -1 else "n/a",
            "most common label": f"{labels.index[0].upper()} {labels.iloc[0]:.0%}",
            "segments per piece": f"{per_piece.mean():.2f}"}


def brownian_controls(lengths: np.ndarray, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Brownian tracks with the given lengths (unit step variance per axis): plain, noisy, blurred."""
    substeps = 20
    plain, noisy, blurred = [], [], []
    for i, n in enumerate(lengths):
        fine = np.cumsum(rng.standard_normal((n * substeps, 2)) / np.sqrt(substeps), axis=0)  # (n * 20, 2)
        at_instants = fine[substeps - 1 :: substeps]  # the position at the end of each frame
        averaged = fine.reshape(n, substeps, 2).mean(axis=1)  # exposure = whole frame
        frame = np.arange(n)
        for store, xy in ((plain, at_instants), (noisy, at_instants + 0.3 * rng.standard_normal((n, 2))),
                          (blurred, averaged)):
            store.append(pd.DataFrame({"track_id": i, "frame": frame, "x": xy[:, 0], "y": xy[:, 1]}))
    return {"simulated Brownian, positions at instants": pd.concat(plain, ignore_index=True),
            "simulated Brownian + localization noise 0.3 step": pd.concat(noisy, ignore_index=True),
            "simulated Brownian, motion blur (exposure = frame)": pd.concat(blurred, ignore_index=True)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", metavar="MARKDOWN", help="write the tables into this docs page")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if not REAL.exists():
        sys.exit(f"real data folder not found: {REAL}")
    start = time.time()
    rows = []

    beads = REAL / "granik2019_brownian_beads.mat"
    points, segments = segment(beads)
    rows.append(summarise("Brownian beads (Granik 2019)", points, segments, "x", "y"))
    bead_lengths = points[points["reason"] == ""].groupby(["track_id", "piece"]).size()
    lengths = bead_lengths[bead_lengths >= LONG].to_numpy()

    for name, table in brownian_controls(lengths, np.random.default_rng(a.seed)).items():
        p, s = segment(table)
        rows.append(summarise(name, p, s, "x", "y"))

    saspt_points, saspt_segments = segment(REAL / "saspt_sample_tracks.csv")
    analysed = saspt_points["reason"] == ""
    saspt_line = (
        f"saspt sample ({saspt_segments['track_id'].nunique()} tracks, {len(saspt_points)} points): "
        f"{int(analysed.sum())} points in {saspt_segments.loc[saspt_segments['reason'] == '', 'track_id'].nunique()} "
        f"tracks long enough to analyse ({(~analysed).mean():.0%} of the points are in pieces shorter than 20 points "
        f"and come back with their reason); median alpha of the analysed points "
        f"{saspt_points.loc[analysed, 'alpha'].median():.2f}, most common label "
        f"{saspt_points.loc[analysed, 'model'].value_counts().index[0].upper()}."
    )

    table = pd.DataFrame(rows)
    header = "| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns)
    body = "\n".join("| " + " | ".join(str(v) for v in r) + " |" for r in table.itertuples(index=False))
    text = (f"Shipped models, pieces of at least {LONG} points ({len(lengths)} bead pieces; each control "
            f"has the same lengths). alpha: median (quartiles) of the network's point-wise alpha; segment alpha: "
            f"of the per-segment alpha reported (the exact FBM likelihood's on segments classified FBM, the "
            f"network's elsewhere), over points; median alpha_se: of the likelihood's segments; the network's segments: "
            f"the share of them whose interval (alpha_se measured on simulated tracks, uandi.alpha_error) holds 1. "
            f"{time.time() - start:.0f} s.\n\n"
            f"Command: `python benchmarks/real_data.py --write docs/real_data.md`\n\n{header}\n{body}\n\n{saspt_line}")
    print(text)
    if a.write:
        write_block(a.write, "real_data", text)


if __name__ == "__main__":
    main()
