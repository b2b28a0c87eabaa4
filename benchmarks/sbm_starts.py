"""Where SBM segments begin: the SBM likelihood's start search (uandi.likelihood_sbm.locate_sbm_starts) ->
docs/likelihood.md (block "sbm_starts").

    python benchmarks/sbm_starts.py --write docs/likelihood.md      # ~6 min, one core (the mix: two threads)

An SBM segment's clock starts with its motion; a start found late bends alpha towards 1 under a tight error
bar (docs/likelihood.md part E). In the product (uandi.postprocess._place_sbm_starts) the start of a segment
called SBM surely, after a segment called SBM too, is searched between the preceding segment's first point
and the segment's end. Two measurements:

1. Stretches of two SBM segments (our flavour): 150 steps of SBM at an alpha uniform in 0.2-1.8 and a K
   log-uniform in 0.3-3, then 250 steps at the row's alpha (K = 1), each with its own clock; the start is
   "found" on time or 6, 30 or 100 frames late, or the second segment is cut in two 100 frames after its
   start (the stretch is then that segment alone, found at 100: the two pieces should become one). White
   localization noise of 0 or 0.5 of the second segment's RMS step on every position. Per row: the
   located start's median error, the share within 5 frames, the share of 95 % intervals that hold the
   true start ("-" for the cut: no cut is true), the share merged (wrongly, but for the cut); and the
   product's SBM fit (uandi.likelihood_sbm.fit_sbm_segments, noise fitted) of the second segment from the
   found start and from the located one: MAE of alpha and the share of alpha +- 1.96 se holding the truth
   (fits at alpha's edge left out).
2. The product (`uandi.segment`, both tasks, the shipped networks) on the five-model mix of both flavours
   (600 tracks of 500 points per noise level), with the start search off and on: the segments whose alpha
   the SBM likelihood gave (with an error bar), the share of their intervals that hold the segment's true
   alpha (the mean over its points), their MAE, the same for those of pure SBM that begin more than 16
   frames after their true change, and the MAE of the reported alpha over every segment.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import pin_threads, reproduce_command, write_block  # noqa: E402

pin_threads(1)

import numpy as np  # noqa: E402

from uandi.likelihood_sbm import fit_sbm_segments, locate_sbm_starts  # noqa: E402
from uandi.simulate import trajectories  # noqa: E402


def held_and_mae(alpha: np.ndarray, alpha_se: np.ndarray, truth) -> tuple[float, float]:
    """Share of alpha +- 1.96 se holding the truth (finite se only) and MAE (all)."""
    ok = np.isfinite(alpha_se)
    error = np.abs(alpha - np.broadcast_to(np.asarray(truth, dtype=float), alpha.shape))
    return float(np.mean(error[ok] <= 1.96 * alpha_se[ok])), float(np.mean(error))


def stretch_rows(m: int, rng: np.random.Generator) -> list[str]:
    """Part 1 (the module's docstring)."""
    lines = ["| alpha | noise / RMS step | found start | located - true: median | within 5 frames | interval holds "
             "| merged | MAE: found / located | held: found / located |", "|---|---|---|---|---|---|---|---|---|"]
    for alpha in (0.3, 1.0, 1.8):
        for level in (0.0, 0.5):
            for late in (0, 6, 30, 100, "cut"):
                seg = trajectories("sbm", m, 251, alpha, rng)  # (m, 251, 2)
                if late == "cut":
                    pos, true, found = seg, 0, 100  # the segment alone, cut in two at 100
                else:
                    before = trajectories("sbm", m, 151, rng.uniform(0.2, 1.8, m), rng)
                    scale = np.sqrt(np.exp(rng.uniform(np.log(0.3), np.log(3.0), m)))[:, None, None]
                    pos = np.concatenate([before * scale, before[:, -1:] * scale + seg[:, 1:]], axis=1)
                    true, found = 150, 150 + late
                rms = np.sqrt(np.mean(np.diff(seg, axis=1) ** 2, axis=(1, 2)))
                pos = pos + level * rms[:, None, None] * rng.standard_normal(pos.shape)
                steps = np.diff(pos, axis=1)  # (m, n, 2): step i goes into point i + 1
                located = locate_sbm_starts(list(steps), [found] * m)
                start = np.array([p.start for p in located])
                holds = np.array([p.low <= true <= p.high for p in located])
                fits = []
                for first in (np.full(m, found), start):  # the segment's positions from each start on
                    fits.append(fit_sbm_segments([pos[i, first[i]:] for i in range(m)]))
                (h0, e0), (h1, e1) = (held_and_mae(f.alpha, f.alpha_se, alpha) for f in fits)
                found_text = "cut in two at 100" if late == "cut" else ("on time" if late == 0 else f"{late} late")
                holds_text = "-" if late == "cut" else f"{np.mean(holds):.2f}"
                lines.append(f"| {alpha:g} | {level:g} | {found_text} | {np.median(start - true):+.0f} | "
                             f"{np.mean(np.abs(start - true) <= 5):.2f} | {holds_text} | "
                             f"{np.mean(start == 0) if late == 'cut' else np.mean((start == 0) & (true > 0)):.2f} | "
                             f"{e0:.3f} / {e1:.3f} | {h0:.2f} / {h1:.2f} |")
                print(lines[-1], flush=True)
    return lines


def mix_rows(n_tracks: int) -> list[str]:
    """Part 2 (the module's docstring)."""
    import torch

    import uandi
    from alpha_error import segment_truth
    from uandi.postprocess import LIKELIHOOD_SETTINGS
    from uandi.simulate import dataset

    torch.set_num_threads(2)
    lines = ["| noise | start search | SBM-likelihood segments | held | MAE | of them pure SBM > 16 frames late: "
             "count, held | reported alpha MAE, all segments |", "|---|---|---|---|---|---|---|"]
    for noise in (0.0, 0.3, 0.5):
        d = dataset("model", n_tracks, 500, np.random.default_rng([93, 500]), noise=noise, flavor=["uandi", "andi"])
        for on in (False, True):
            LIKELIHOOD_SETTINGS["sbm_starts"] = on  # the product's own switch (refine_segments' settings)
            try:
                _, seg = uandi.segment(d.x, workers=2)
            finally:
                LIKELIHOOD_SETTINGS["sbm_starts"] = True
            truth = segment_truth(d.alpha, seg)
            se = seg.alpha_se.to_numpy()
            mine = (seg.alpha_method.astype(str).to_numpy() == "likelihood (SBM)") & np.isfinite(se)
            held, mae = held_and_mae(seg.alpha.to_numpy()[mine], se[mine], truth[mine])
            late = []
            for i in np.flatnonzero(mine):
                tr, a, b = int(seg.track_id.iat[i]), int(seg.first_frame.iat[i]), int(seg.last_frame.iat[i]) + 1
                changes = np.r_[0, np.asarray(d.changepoints[tr])]
                if np.all(d.model[tr, a:b] == 4) and a - changes[changes <= a].max() > 16:
                    late.append(abs(seg.alpha.iat[i] - truth[i]) <= 1.96 * se[i])
            lines.append(f"| {noise:g} | {'on' if on else 'off'} | {mine.sum()} | {held:.3f} | {mae:.3f} | "
                         f"{len(late)}, {np.mean(late) if late else np.nan:.2f} | "
                         f"{np.nanmean(np.abs(seg.alpha.to_numpy() - truth)):.4f} |")
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--m", type=int, default=150, help="stretches per row (part 1)")
    ap.add_argument("--tracks", type=int, default=600, help="tracks per noise level (part 2)")
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    start = time.time()
    stretches = stretch_rows(a.m, np.random.default_rng(2027))
    mix = mix_rows(a.tracks)
    text = "\n".join([f"Reproduce: `{reproduce_command(__file__, ap, a)}` ({time.time() - start:.0f} s).", "",
                      f"Two SBM segments ({a.m} stretches per row):", "", *stretches, "",
                      f"The product on the five-model mix, both flavours, L = 500 ({a.tracks} tracks per noise level):",
                      "", *mix])
    print(text)
    if a.write:
        write_block(a.write, "sbm_starts", text)


if __name__ == "__main__":
    main()
