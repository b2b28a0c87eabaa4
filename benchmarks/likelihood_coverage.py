"""Do the likelihood's error bars hold when the changepoints are found, not given? -> docs/likelihood.md (block).

    python benchmarks/likelihood_coverage.py --write docs/likelihood.md      # ~6 min on one core

Part A of the page checks alpha_se on segments whose ends are known. A user's segments are found by the
network and the likelihood, so a reported segment may end a few points off, or hold a change that was
missed. On the subtask-1 sets of benchmarks/likelihood.py (same seeds; the first --n trajectories),
`Predictor.segment` (the product's path: noise "track"), then for each reported segment with a standard
error:
  - inside one: the share of segments whose points all have one true alpha;
  - coverage, ends known: the 95 % interval alpha +- 1.96 alpha_se of the true segments' fits (the same
    fit, given the true changepoints), against their alpha;
  - coverage, found, inside one: the same for the reported segments inside one true segment, without
    and with the changepoint allowance (LIKELIHOOD_SETTINGS["allowance"], the product's default: alpha_se
    also holds the odds that a chosen change is not real, likelihood.changepoint_allowance, and those that
    a candidate not chosen is, likelihood.missed_change_allowance: LIKELIHOOD_SETTINGS["missed_allowance"]);
  - coverage, found, all: every reported segment, against the alpha of most of its points, without and
    with the allowance;
  - sd(z): the spread of (alpha - that alpha) / alpha_se over all reported segments, with the allowance
    (1 if the error bars were right);
  - + position allowance: the allowance's alpha_se further widened by how much alpha moves when each
    end moves within +-8 points, weighted by the likelihood of each position (a local average over
    partitions; not in the product: it adds too little);
  - (second table) the noise decision: with the ends known, at sigma_n 0, 0.1, 0.3 and 0.6 (--n-noise
    tracks of 500 points each), coverage of fit_segments(noise="auto", grouped by track) without and with
    its noise_allowance (alpha_se also holds the alpha of the noise decision not taken, weighted by its
    probability), and of noise="track" (one sigma per track), the median alpha_se of each, and the
    point-wise MAE (auto's is the same with and without its allowance);
  - scan: inside every reported segment of 20 points or more, the best split over all positions (the
    exact likelihood of the two parts against the whole, by the partition's own span scores): how many
    segments pass a gain of 7 (the partition's penalty is 5 per candidate), and of those how many hold
    a missed true change within 10 points of the split, or none at all;
  - (third table) K's error bars with the changepoints found: two-segment FBM tracks with small alpha
    jumps (k_tracks), coverage of alpha and of K (log scale, K +- 1.96 K_se) in frames and in physical
    units, without and with the changepoint allowance (with --frame-interval, K_se's alpha term
    log(dt)^2 alpha_se^2 carries alpha_se's allowances).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import reproduce_command, single_thread, write_block  # noqa: E402

single_thread()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from likelihood import SETS, sample_fbm  # noqa: E402
from uandi import likelihood as lk  # noqa: E402
from uandi.likelihood import fit_segments, segment_positions  # noqa: E402
from uandi.postprocess import LIKELIHOOD_SETTINGS  # noqa: E402
from uandi.predict import load  # noqa: E402
from uandi.simulate import dataset  # noqa: E402

WIDTH = 8  # the position allowance: each end moved within +-WIDTH points
MIN_GAP = 10  # shortest segment, points (the product's)
SCAN_GAIN = 7.0


def true_segments(x: np.ndarray, changepoints: list, alpha: np.ndarray) -> tuple[list, list, np.ndarray]:
    """The true segments of tracks x (N, L, 2): their positions, their track, their true alpha."""
    pieces, owner, truth = [], [], []
    for i, cps in enumerate(changepoints):
        nodes = [0, *np.asarray(cps).tolist(), x.shape[1]]
        for s, e in zip(nodes[:-1], nodes[1:]):
            pieces.append(segment_positions(x[i], s, e))
            owner.append(i)
            truth.append(alpha[i, s])
    return pieces, owner, np.asarray(truth)


def known_coverage(x: np.ndarray, changepoints: list, alpha: np.ndarray, noise) -> float:
    """Coverage of the 95 % interval of each true segment's fit (ends known), noise as the product decides it."""
    pieces, owner, truth = true_segments(x, changepoints, alpha)
    fit = fit_segments(pieces, noise=noise, groups=owner)
    ok = np.isfinite(fit.alpha_se) & ~fit.at_bound
    return float(np.mean(np.abs(fit.alpha[ok] - truth[ok]) <= 1.96 * fit.alpha_se[ok]))


def position_variance(x: np.ndarray, tracks: list) -> dict:
    """(track, segment) -> variance of its alpha as its ends move within +-WIDTH, each position weighted by
    the likelihood of the two segments beside it (the other ends fixed)."""
    jobs, pieces = [], []
    length = x.shape[1]
    for t, seg in enumerate(tracks):
        nodes = [0, *seg.changepoints.tolist(), length]
        for k in range(1, len(nodes) - 1):
            a, c, b = nodes[k - 1], nodes[k], nodes[k + 1]
            for p in range(max(a + MIN_GAP, c - WIDTH), min(b - MIN_GAP, c + WIDTH) + 1):
                jobs.append((t, k, p, p == c))
                pieces += [segment_positions(x[t], a, p), segment_positions(x[t], p, b)]
    if not jobs:
        return {}
    fit = fit_segments(pieces, noise=False)
    loglik, alpha = fit.loglik.reshape(-1, 2), fit.alpha.reshape(-1, 2)  # (J, 2): left and right segment
    jobs = np.array(jobs)
    out: dict = {}
    for t, k in {(int(t), int(k)) for t, k in jobs[:, :2]}:
        mine = (jobs[:, 0] == t) & (jobs[:, 1] == k)
        total = loglik[mine].sum(1)
        w = np.exp(total - total.max())
        w /= w.sum()
        at = np.flatnonzero(jobs[mine, 3])[0]
        for side, s in ((0, k - 1), (1, k)):
            a = alpha[mine, side]
            out[(t, s)] = out.get((t, s), 0.0) + float(np.sum(w * (a - a[at]) ** 2))
    return out


def scan(x: np.ndarray, tracks: list, true_cps: list) -> tuple[int, int, int]:
    """Segments whose best split gains more than SCAN_GAIN; of them, those splitting within 10 points of a
    true change inside the segment, and those holding no true change."""
    spans, segs = [], []
    length = x.shape[1]
    for t, seg in enumerate(tracks):
        nodes = [0, *seg.changepoints.tolist(), length]
        for s, e in zip(nodes[:-1], nodes[1:]):
            if e - s >= 2 * MIN_GAP:
                splits = range(s + MIN_GAP, e - MIN_GAP + 1)
                segs.append((t, s, e))
                spans += [(t, s, e), *((t, s, p) for p in splits), *((t, p, e) for p in splits)]
    scores = lk._score(list(x), spans, 0.0)
    flagged = found = false = 0
    for t, s, e in segs:
        splits = np.arange(s + MIN_GAP, e - MIN_GAP + 1)
        gain = np.array([scores[(t, s, p)] + scores[(t, p, e)] for p in splits]) - scores[(t, s, e)]
        if gain.max() <= SCAN_GAIN:
            continue
        flagged += 1
        tc = np.asarray(true_cps[t])
        inside = tc[(tc > s + 5) & (tc < e - 5)]
        found += int(len(inside) > 0 and np.min(np.abs(inside - splits[gain.argmax()])) <= 10)
        false += int(len(inside) == 0)
    return flagged, found, false


def measure(net, name: str, length: int, opts: dict, seed: int, n: int) -> dict:
    d = dataset("alpha", n, length, np.random.default_rng([11, seed]), **opts)
    x = d.x.astype(np.float64)
    noise = LIKELIHOOD_SETTINGS["noise"]  # the product's
    LIKELIHOOD_SETTINGS["allowance"] = False
    plain = net.segment(x)
    LIKELIHOOD_SETTINGS["allowance"] = True
    tracks = net.segment(x)
    extra = position_variance(x, tracks)
    rows = []  # per reported segment: inside one, covered without / with the allowance / with both, z
    for t, (seg, seg0, a) in enumerate(zip(tracks, plain, d.alpha)):
        for s, (start, n_pts) in enumerate(zip(seg.starts.tolist(), seg.lengths.tolist())):
            se, se0 = seg["alpha_se"][s], seg0["alpha_se"][s]
            if not np.isfinite(se):
                continue
            values, counts = np.unique(a[start : start + n_pts], return_counts=True)
            main = values[counts.argmax()]
            wide = np.sqrt(se**2 + extra.get((t, s), 0.0))
            err = seg["alpha"][s] - main
            rows.append((len(values) == 1, abs(err) <= 1.96 * se0, abs(err) <= 1.96 * se, abs(err) <= 1.96 * wide,
                         err / se))
    r = np.array(rows, dtype=float)
    inside = r[:, 0] > 0
    flagged, found, false = scan(x, tracks, d.changepoints)
    return dict(name=name, n=n, segments=len(r), inside=inside.mean(),
                known=known_coverage(x, d.changepoints, d.alpha, noise), inside_plain=r[inside, 1].mean(),
                inside_with=r[inside, 2].mean(), all_plain=r[:, 1].mean(), all_with=r[:, 2].mean(),
                sd_z=float(np.std(r[:, 4])), position=r[:, 3].mean(), flagged=flagged, scan_found=found,
                scan_false=false)


def noise_rows(n: int) -> list:
    """Coverage of the ends-known fits at four noise levels, without and with the noise allowance."""
    rows = []
    for k, sigma in enumerate((0.0, 0.1, 0.3, 0.6)):
        d = dataset("alpha", n, 500, np.random.default_rng([13, 10 + k]), min_alpha_jump=0.5, noise=sigma)
        pieces, owner, truth = true_segments(d.x.astype(np.float64), d.changepoints, d.alpha)
        n_pts = np.array([len(p) for p in pieces])
        row = dict(sigma=sigma, segments=len(pieces))
        for label, mode, allowance in (("without", "auto", False), ("with", "auto", True), ("track", "track", True)):
            fit = fit_segments(pieces, noise=mode, groups=owner, noise_allowance=allowance)
            ok = np.isfinite(fit.alpha_se) & ~fit.at_bound
            row[label] = float(np.mean(np.abs(fit.alpha[ok] - truth[ok]) <= 1.96 * fit.alpha_se[ok]))
            row[f"se_{label}"] = float(np.median(fit.alpha_se[ok]))
            row[f"mae_{mode}"] = float(np.sum(np.abs(fit.alpha - truth) * n_pts) / n_pts.sum())
        rows.append(row)
        print(row, file=sys.stderr, flush=True)
    return rows


def k_tracks(n: int, length: int = 400, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Two FBM segments per track, K = 1 (per frame) on both, the change uniform in [100, L - 100] and a
    small alpha jump (0.15-0.6, either way), so that many chosen changes are doubtful."""
    rng = np.random.default_rng([17, seed])
    xs, truth = [], []
    for _ in range(n):
        cp = int(rng.integers(100, length - 100))
        a1 = rng.uniform(0.3, 1.7)
        a2 = float(np.clip(a1 + rng.choice([-1, 1]) * rng.uniform(0.15, 0.6), 0.1, 1.9))
        first = sample_fbm(rng, a1, 1.0, 0.0, cp, 1)[0]
        second = sample_fbm(rng, a2, 1.0, 0.0, length - cp, 1)[0]
        xs.append(np.concatenate([first, first[-1] + second[1:]]))
        truth.append(np.r_[np.full(cp, a1), np.full(length - cp, a2)])
    return np.array(xs), np.array(truth)


def k_rows(net, n: int) -> list:
    """Coverage of alpha and K (in frames, and in um^2 / s^alpha with 0.1 um pixels and 20 ms frames) on
    k_tracks, by the product's path, without and with the changepoint allowance."""
    x, truth = k_tracks(n)
    rows = []
    for pixel, dt in ((None, None), (0.1, 0.02)):
        row = dict(units="input units^2 / frame^alpha" if dt is None else "um^2 / s^alpha (0.1 um, 20 ms)")
        for label, allowance in (("without", False), ("with", True)):
            LIKELIHOOD_SETTINGS["allowance"] = allowance
            hits = []
            for seg, a in zip(net.segment(x, pixel_size=pixel, frame_interval=dt), truth):
                for s, (start, n_pts) in enumerate(zip(seg.starts.tolist(), seg.lengths.tolist())):
                    se, k_se = seg["alpha_se"][s], seg["K_se"][s]
                    if not (np.isfinite(se) and np.isfinite(k_se)):
                        continue
                    values, counts = np.unique(a[start : start + n_pts], return_counts=True)
                    main = values[counts.argmax()]
                    k_true = (pixel or 1.0) ** 2 / (dt or 1.0) ** main  # K = 1 input unit^2 / frame^alpha
                    hits.append((abs(seg["alpha"][s] - main) <= 1.96 * se,
                                 abs(np.log(seg["K"][s] / k_true)) <= 1.96 * k_se / seg["K"][s]))
            h = np.array(hits, dtype=float)
            row.update({"segments": len(h), f"alpha_{label}": h[:, 0].mean(), f"k_{label}": h[:, 1].mean()})
        LIKELIHOOD_SETTINGS["allowance"] = True
        rows.append(row)
        print(row, file=sys.stderr, flush=True)
    return rows


def table(rows: list, cmd: str, seconds: float, noise: list = (), k: list = ()) -> str:
    lines = ["## H. Error bars when the changepoints are found, not given", "",
             f"Reproduce: `{cmd}` ({seconds / 60:.0f} min, one core). The product's path (`Predictor.segment`, noise "
             "'track') on the subtask-1 sets of part B; coverage = share of 95 % intervals (alpha +- 1.96 "
             "alpha_se) holding the true alpha (for a reported segment: the alpha of most of its points). "
             "See the benchmark's docstring for each column.", "",
             "| set | segments | inside one true segment | coverage, ends known | coverage, found, inside one: "
             "without / with the allowance | coverage, found, all: without / with | sd(z), all | "
             "+ position allowance | scan: split gain > 7 (true change / none) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['segments']} | {r['inside']:.2f} | {r['known']:.3f} | "
                     f"{r['inside_plain']:.3f} / {r['inside_with']:.3f} | {r['all_plain']:.3f} / {r['all_with']:.3f} | "
                     f"{r['sd_z']:.2f} | {r['position']:.3f} | "
                     f"{r['flagged']} ({r['scan_found']} / {r['scan_false']}) |")
    if noise:
        lines += ["", "The noise decision, ends known: noise 'auto' (tested per track, then per segment; each segment its "
                  "own sigma) without and with its noise allowance, and noise 'track' (one sigma per track, shared "
                  "by its segments; the product's default since 2026-12-01, with its allowance):", "",
                  "| sigma_n | segments | coverage: auto without / with the allowance / track | median alpha_se: "
                  "auto without / with / track | MAE: auto / track |", "|---|---|---|---|---|"]
        for r in noise:
            lines.append(f"| {r['sigma']:g} | {r['segments']} | {r['without']:.3f} / {r['with']:.3f} / {r['track']:.3f} | "
                         f"{r['se_without']:.3f} / {r['se_with']:.3f} / {r['se_track']:.3f} | "
                         f"{r['mae_auto']:.4f} / {r['mae_track']:.4f} |")
    if k:
        lines += ["", f"K's error bars, changepoints found (k_tracks: {k[0]['segments']} segments of two-segment "
                  "FBM tracks, 400 points, K = 1, alpha jumps 0.15-0.6):", "",
                  "| K in | coverage of alpha: without / with the changepoint allowance | coverage of K: without / "
                  "with |", "|---|---|---|"]
        for r in k:
            lines.append(f"| {r['units']} | {r['alpha_without']:.3f} / {r['alpha_with']:.3f} | "
                         f"{r['k_without']:.3f} / {r['k_with']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="trajectories per set")
    ap.add_argument("--n-noise", type=int, default=400, help="trajectories per noise level (second table)")
    ap.add_argument("--n-k", type=int, default=600, help="two-segment tracks for K's error bars (third table)")
    ap.add_argument("--write", help="docs page to write the block into")
    args = ap.parse_args()
    torch.set_num_threads(1)
    net = load("alpha")
    t0 = time.time()
    rows = []
    for name, length, opts, seed in SETS:
        rows.append(measure(net, name, length, opts, seed, args.n))
        print(rows[-1], file=sys.stderr, flush=True)
    noise = noise_rows(args.n_noise)
    k = k_rows(net, args.n_k)
    cmd = reproduce_command(__file__, ap, args)
    text = table(rows, cmd, time.time() - t0, noise, k)
    print(text)
    if args.write:
        write_block(args.write, "likelihood_coverage", text)


if __name__ == "__main__":
    main()
