"""The real-data workflow of the paper's Sec. V, step by step, on the real tracks we have -> docs/real_workflow.md.

    python scripts/real_data_workflow.py                       # about 10 minutes on one core
    python scripts/real_data_workflow.py --minutes 10 --noises 0,0.05,0.125,0.25 --n 1000   # closer to the paper

Steps (paper Sec. V; SCIENCE.md section 7):
  (a) label short real tracks (pieces of 10-100 consecutive frames) with the WADNet trajectory classifier
      ("trajectory-model"); keep those whose most probable model has probability > 0.9 (Fig. 8(c));
  (b) concatenate labelled tracks into validation tracks of L points and M segments (L/M <= 50), the
      class changing at every segment, from the two classes most often labelled (the paper: CTRW, FBM);
      each piece's steps are scaled to unit RMS step first, as the networks' training segments are;
  (c) transfer learning: the shipped diffusion-model network's weights, its head replaced by one for
      those two classes, trained on simulated segments of the two models with localization noise
      sigma_n, one run per sigma_n (the same wall time each);
  (d) mDice of each run on the real validation sets (L = 100, M = 3 and L = 200, M = 5, Fig. 8(d)), and
      of the best run by (L, M) (Fig. 8(e)), beside the shipped five-class network restricted to the two
      classes (no transfer);
  (e) long real tracks (> 100 points) segmented by the best run, each segment labelled by the
      classifier (Fig. 9).

Real tracks (../shared/data/real, see its README): Brownian beads of Granik et al. 2019 (the paper used
the same group's membrane-protein tracks, which we do not have) and the saspt sample of a nuclear
protein. Pieces a particle at rest explains (uandi.immobile) are left out, as uandi segment does.
Transfer runs go to runs/real-transfer/sigma<sigma_n>; an existing run is re-scored, not retrained.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _report import single_thread, write_block  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
FILES = {"beads": "granik2019_brownian_beads.mat", "saspt": "saspt_sample_tracks.csv"}
SHORT = (10, 100)  # points: the pieces the classifier labels (paper: 10 to 100)
CONFIDENT = 0.9  # the paper's probability threshold for a label
SWEEP_SETS = ((100, 3), (200, 5))  # (L, M) of the validation sets that choose sigma_n (Fig. 8(d))
GRID = ((100, 2), (100, 3), (100, 4), (100, 5), (150, 3), (150, 4), (150, 5), (200, 4), (200, 5), (200, 6),
        (250, 5), (250, 6), (300, 6))  # (L, M) with L / M <= 50 (Fig. 8(e))


def real_pieces(path: Path) -> list[np.ndarray]:
    """Pieces of consecutive frames of every track of a real file, (L_i, 2) positions each (file
    units), pieces a particle at rest explains left out."""
    import warnings

    from uandi.immobile import immobile_reason
    from uandi.tracks import plan_pieces, read_input

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notices (frames numbered in row order) are expected here
        source = read_input(str(path), None, None, None)
    pieces = plan_pieces(source.canonical, SHORT[0])
    out = []
    for p in np.flatnonzero(pieces.analysed):
        x = pieces.positions(p)
        if not immobile_reason(x, None):
            out.append(x)
    return out


def label_short_tracks(classifier, tracks: dict, confident: float = CONFIDENT) -> dict:
    """(a): per source, the short pieces, their classifier probabilities (N, 5) and confident labels."""
    from uandi.constants import MODELS

    labelled = {}
    for source, pieces in tracks.items():
        short = [x for x in pieces if SHORT[0] <= len(x) <= SHORT[1]]
        proba = classifier.predict_proba(short) if short else np.zeros((0, len(MODELS)))
        best = proba.argmax(axis=1)
        sure = proba.max(axis=1) > confident
        labelled[source] = {"pieces": short, "proba": proba, "label": np.where(sure, best, -1)}
    return labelled


def unit_steps(x: np.ndarray) -> np.ndarray:
    """Steps (L - 1, 2) of positions x (L, 2), scaled to unit RMS step per axis (one factor for both)."""
    d = np.diff(x, axis=0)
    return d / np.sqrt((d**2).sum() / (2 * len(d)))


def concatenate(pool: dict, length: int, n_segments: int, n: int, rng: np.random.Generator):
    """(b): n tracks of `length` points, n_segments pieces of real tracks each, the class alternating.

    pool : class index -> list of (L_i, 2) labelled pieces. Segment lengths are uniform over the
    compositions of `length` into parts of at least 10 points that the labelled pieces can fill; each
    segment is a random window of a random piece of its class. Segment k > 0 takes a window of
    part + 1 points: its `part` steps lead into each of its points, so every point carries the label of
    the piece its last step came from. Returns positions (n, length, 2) and labels (n, length)
    (indices into sorted(pool)), or None when the pieces are too short for (length, n_segments).
    """
    from uandi.simulate.compose import segment_lengths

    classes = sorted(pool)
    longest = min(max(len(p) for p in pool[c]) for c in classes) - 1  # points a part may have
    if longest * n_segments < length:
        return None
    x = np.zeros((n, length, 2))
    labels = np.zeros((n, length), dtype=np.int64)
    for i in range(n):
        parts = segment_lengths(rng, np.array([n_segments]), length)[0]
        while parts.max() > longest:
            parts = segment_lengths(rng, np.array([n_segments]), length)[0]
        first = int(rng.integers(len(classes)))
        steps, t = [np.zeros((1, 2))], 0
        for k, part in enumerate(parts):
            c = classes[(first + k) % len(classes)]
            need = part + (1 if k > 0 else 0)
            candidates = [p for p in pool[c] if len(p) >= need]
            piece = candidates[int(rng.integers(len(candidates)))]
            start = int(rng.integers(len(piece) - need + 1))
            steps.append(unit_steps(piece[start : start + need]))  # (need - 1, 2)
            labels[i, t : t + part] = classes.index(c)
            t += part
        x[i] = np.cumsum(np.concatenate(steps), axis=0)  # (length, 2)
    return x, labels


def restricted_labels(predictor, x: np.ndarray, class_names: tuple) -> np.ndarray:
    """Point-wise labels (N, L) of a network restricted to `class_names` (argmax over their columns)."""
    proba = predictor.predict_proba(x)  # (N, L, C)
    columns = [list(predictor.classes).index(c) for c in class_names]
    return proba[..., columns].argmax(axis=-1)


def transfer(class_names: tuple, sigma: float, seconds: float, out: Path) -> None:
    """(c): the shipped diffusion-model network, head replaced for `class_names`, trained on simulated
    segments of those models with localization noise sigma (relative to the RMS step)."""
    from uandi.train import TrainConfig, train
    from uandi.weights import shipped_path

    cfg = TrainConfig(preset="small-model", model_overrides={"width": 8, "classes": tuple(class_names),
                                                             "n_outputs": len(class_names)},
                      steps=3000, batch_size=32, lr=1e-3, schedule="cosine", lengths=(100, 300),
                      noise=(sigma, sigma), sim_options={"models": tuple(class_names), "diffusion_factor": (0.5, 2.0)},
                      val_n=200, val_lengths=(200,), val_every=100, seed=31, time_limit=seconds,
                      init_from=str(shipped_path("diffusion-model")))
    train(cfg, out)


def fig9(tracks, segmentations, probabilities, network: str, path: Path) -> None:
    """Long tracks coloured by segment (top) and the classifier's probabilities per segment (bottom)."""
    from matplotlib.figure import Figure

    from uandi.constants import MODELS
    from uandi.plot import SEGMENT_COLORS

    fig = Figure(figsize=(4 * len(tracks), 7), layout="constrained")
    axes = fig.subplots(2, len(tracks), squeeze=False)
    for j, (x, seg, proba) in enumerate(zip(tracks, segmentations, probabilities)):
        ax = axes[0, j]
        for k, (start, length) in enumerate(zip(seg.starts, seg.lengths)):
            part = x[start : min(start + length + 1, len(x))]
            ax.plot(part[:, 0], part[:, 1], color=SEGMENT_COLORS[k % len(SEGMENT_COLORS)], lw=1,
                    label=f"segment {k + 1} ({length} points)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"{len(x)} points, {len(seg.lengths)} segment(s)\nsegmented by: {network}", fontsize="small")
        ax.legend(fontsize="x-small")
        ax = axes[1, j]
        width = 0.8 / len(proba)
        for k, p in enumerate(proba):
            ax.bar(np.arange(len(MODELS)) + (k - (len(proba) - 1) / 2) * width, p, width,
                   color=SEGMENT_COLORS[k % len(SEGMENT_COLORS)], label=f"segment {k + 1}")
        ax.set_xticks(range(len(MODELS)), [m.upper() for m in MODELS])
        ax.set_ylim(0, 1)
        ax.set_ylabel("classifier probability")
    fig.savefig(path, dpi=110)


def fig8c(labelled: dict, path: Path, confident: float) -> None:
    """Counts of confidently labelled short pieces by length and class (paper Fig. 8(c))."""
    from matplotlib.figure import Figure

    from uandi.constants import MODELS

    fig = Figure(figsize=(4.5 * len(labelled), 3.4), layout="constrained")
    axes = fig.subplots(1, len(labelled), squeeze=False)[0]
    bins = np.arange(SHORT[0], SHORT[1] + 11, 10)
    for ax, (source, lab) in zip(axes, labelled.items()):
        lengths = np.array([len(x) for x in lab["pieces"]])
        for c, name in enumerate(MODELS):
            if np.any(lab["label"] == c):
                ax.hist(lengths[lab["label"] == c], bins=bins, histtype="step", lw=1.5, label=name.upper())
        ax.hist(lengths[lab["label"] < 0], bins=bins, histtype="step", color="0.6", ls="--",
                label=f"max probability <= {confident}")
        ax.set_xlabel("piece length (points)")
        ax.set_ylabel("pieces")
        ax.set_title(source)
        ax.legend(fontsize="x-small")
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--classifier", default="trajectory-model")
    ap.add_argument("--noises", default="0,0.125,0.25", help="sigma_n of the transfer runs (relative to the RMS step)")
    ap.add_argument("--minutes", type=float, default=2.5, help="training wall time per transfer run")
    ap.add_argument("--confidence", type=float, default=CONFIDENT, help="probability a label needs (paper: 0.9)")
    ap.add_argument("--n", type=int, default=300, help="concatenated validation tracks per (L, M)")
    ap.add_argument("--runs", default="runs/real-transfer")
    ap.add_argument("--real", default=str(REAL))
    ap.add_argument("--out", default="docs/real_workflow.md")
    a = ap.parse_args()
    single_thread()
    import torch

    from uandi import metrics
    from uandi.constants import MODELS
    from uandi.predict import load

    torch.set_num_threads(1)
    out, runs = Path(a.out), Path(a.runs)
    docs = out.parent
    docs.mkdir(parents=True, exist_ok=True)
    classifier = load(a.classifier)
    tracks = {source: real_pieces(Path(a.real) / name) for source, name in FILES.items()}

    # (a) labels
    labelled = label_short_tracks(classifier, tracks, a.confidence)
    fig8c(labelled, docs / "real_workflow_labels.png", a.confidence)
    counts = {s: {m: int(np.sum(lab["label"] == c)) for c, m in enumerate(MODELS)} for s, lab in labelled.items()}
    lines = [f"Command: `python scripts/real_data_workflow.py --noises {a.noises} --minutes {a.minutes:g} "
             f"--n {a.n} --confidence {a.confidence:g}` (classifier `{a.classifier}`).", "",
             f"**(a) Labels.** Short pieces ({SHORT[0]}-{SHORT[1]} consecutive frames, not at rest) labelled by "
             f"the classifier; a label needs a probability > {a.confidence:g}:", "",
             "| source | short pieces | " + " | ".join(m.upper() for m in MODELS) + " | not confident |",
             "|---" * (len(MODELS) + 3) + "|"]
    for s, lab in labelled.items():
        lines.append(f"| {s} | {len(lab['pieces'])} | " + " | ".join(str(counts[s][m]) for m in MODELS)
                     + f" | {int(np.sum(lab['label'] < 0))} |")
    mean_p = {s: lab["proba"].mean(axis=0) for s, lab in labelled.items() if len(lab["pieces"])}
    lines += ["", "Mean classifier probabilities over all short pieces: " + "; ".join(
        f"{s}: " + ", ".join(f"{m.upper()} {p:.2f}" for m, p in zip(MODELS, v)) for s, v in mean_p.items()),
        "", "![Labelled pieces by length](real_workflow_labels.png)", ""]

    # (b) the two classes most often labelled, over both sources
    totals = {m: sum(counts[s][m] for s in counts) for m in MODELS}
    top = sorted(MODELS, key=lambda m: -totals[m])[:2]
    class_names = tuple(m for m in MODELS if m in top)  # in uandi.MODELS order
    pool = {MODELS.index(m): [x for lab in labelled.values() for x, lb in zip(lab["pieces"], lab["label"])
                              if lb == MODELS.index(m)] for m in class_names}
    usable = all(len(v) >= 5 for v in pool.values())
    lines += [f"**(b) Concatenated validation tracks** from the two classes labelled most often: "
              f"{' and '.join(m.upper() for m in class_names)} ({', '.join(str(len(v)) for v in pool.values())} "
              "labelled pieces)."]
    if not usable:
        lines += ["", "Fewer than 5 labelled pieces in a class: the real data do not support labelled validation "
                  "tracks, and steps (c)-(d) are skipped.", ""]
        write_block(out, "real-workflow", "\n".join(lines))
        print("\n".join(lines))
        return
    pool_by_index = {i: pool[MODELS.index(m)] for i, m in enumerate(class_names)}
    sets = {(length, m): concatenate(pool_by_index, length, m, a.n, np.random.default_rng([55, length, m]))
            for length, m in sorted(set(SWEEP_SETS) | set(GRID))}
    sets = {key: value for key, value in sets.items() if value is not None}
    lines += [f" {a.n} tracks per (L, M); segment lengths 10-100 points; each piece's steps scaled to unit RMS "
              "step.", ""]

    # (c) transfer runs, (d) mDice by sigma_n and by (L, M)
    noises = [float(v) for v in a.noises.split(",")]
    networks = {"shipped 5-class, restricted (no transfer)": load("diffusion-model")}
    for sigma in noises:
        run = runs / f"sigma{sigma:g}"
        if not (run / "metrics.jsonl").is_file():
            print(f"transfer run sigma_n = {sigma:g} ({a.minutes:g} min)", flush=True)
            transfer(class_names, sigma, a.minutes * 60, run)
        networks[f"transfer, sigma_n = {sigma:g}"] = load(run)

    def mdice(net, key):
        x, labels = sets[key]
        return metrics.mdice(restricted_labels(net, x, class_names), labels, n_classes=2)

    sweep_sets = [key for key in SWEEP_SETS if key in sets]
    sweep = {name: {key: mdice(net, key) for key in sweep_sets} for name, net in networks.items()}
    lines += [f"**(c)-(d) Transfer learning and the noise sweep** (Fig. 8(d)): the shipped diffusion-model network, "
              f"head replaced for {'/'.join(class_names)}, trained {a.minutes:g} minutes per sigma_n on one core "
              "on simulated segments of the two models (lengths 100-300, batch 32, cosine schedule peak 1e-3); "
              "mDice on the real concatenations:", "",
              "| network | " + " | ".join(f"L = {length}, M = {m}" for length, m in sweep_sets) + " |",
              "|---" * (len(sweep_sets) + 1) + "|"]
    for name, row in sweep.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[key]:.3f}" for key in sweep_sets) + " |")
    best = max(sweep, key=lambda name: np.mean(list(sweep[name].values())))
    grid = {key: mdice(networks[best], key) for key in GRID if key in sets}
    lines += ["", f"mDice of the best ({best}) by (L, M) (Fig. 8(e)):", "",
              "| L \\ M | " + " | ".join(str(m) for m in range(2, 7)) + " |", "|---" * 6 + "|"]
    for length in sorted({k[0] for k in GRID}):
        lines.append(f"| {length} | " + " | ".join(f"{grid[(length, m)]:.3f}" if (length, m) in grid else ""
                                                 for m in range(2, 7)) + " |")

    # (e) long tracks: segments by the best network, each labelled by the classifier
    long_tracks = [x for x in tracks["beads"] if len(x) > SHORT[1]]
    segmenter = networks[best]
    segmentations = segmenter.segment(long_tracks)
    seg_proba = [classifier.predict_proba([x[s : s + n] for s, n in zip(seg.starts, seg.lengths)])
                 for x, seg in zip(long_tracks, segmentations)]
    all_p = np.concatenate(seg_proba)
    n_segments = np.array([len(seg.lengths) for seg in segmentations])
    top_share = {m: float(np.mean(all_p.argmax(1) == c)) for c, m in enumerate(MODELS)}
    picks = [int(np.flatnonzero(n_segments == k)[0]) for k in (2, 3, 4) if np.any(n_segments == k)]
    picks = picks or [0]
    fig9([long_tracks[i] for i in picks], [segmentations[i] for i in picks], [seg_proba[i] for i in picks],
         best, docs / "real_workflow_long.png")
    lines += ["", f"**(e) Long tracks** ({len(long_tracks)} bead pieces of more than {SHORT[1]} points) segmented "
              f"by {best}: {int(n_segments.sum())} segments ({np.mean(n_segments == 1):.0%} of tracks in one "
              "piece); the classifier's most probable model per segment: "
              + ", ".join(f"{m.upper()} {v:.0%}" for m, v in top_share.items())
              + f"; mean top probability {all_p.max(1).mean():.2f}.", "",
              "![Long bead tracks, segments and the classifier's probabilities](real_workflow_long.png)", ""]
    (docs / "real_workflow.json").write_text(json.dumps(
        {"counts": counts, "classes": class_names, "pool": {m: len(v) for m, v in zip(class_names, pool.values())},
         "sweep": {k: {f"{key[0]},{key[1]}": v for key, v in row.items()} for k, row in sweep.items()},
         "best": best, "grid": {f"{k[0]},{k[1]}": v for k, v in grid.items()},
         "long": {"tracks": len(long_tracks), "segments": int(n_segments.sum()), "top_share": top_share}},
        indent=1))
    write_block(out, "real-workflow", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
