"""The paper's figures, drawn from plain arrays (matplotlib only).

Every function builds a ``matplotlib.figure.Figure`` (no pyplot, so importing this module or calling
it never selects a backend or opens a window) and returns it; with ``path`` it also writes a PNG at
120 dpi. Training curves (paper Fig. 3) are drawn by ``uandi.train.plot_curves``.

Conventions: positions are in the input's units (pixels or um), time in frames (point index
0 .. L-1), alpha is the dimensionless anomalous exponent, a changepoint is the 0-based index of the
first point of a new segment, and class labels are indices into ``classes`` (default
``uandi.constants.MODELS``).

- ``track_figure``: one track: trajectory coloured by segment, alpha(t), class probabilities
  (paper Figs. 4, 5e, 6).
- ``examples_figure``: several tracks in a grid, for evaluation reports.
- ``alpha_hist2d``: predicted vs true alpha over all points (Fig. 5c).
- ``dc_histogram``: changepoint position errors of true positives, with TP/FP/FN (Figs. 5f, 7d).
- ``confusion_figure``: confusion matrix of the point-wise classes (Fig. 7c).
- ``mae_by_alpha_figure``: MAE against true alpha (Fig. 5d).
- ``summary_figure``: segment alphas, model fractions and lengths, for ``uandi segment``.

The panels of ``track_figure`` carry axes labels (``Axes.get_label()``) "trajectory", "alpha" and
"model", so code and tests can find them among colour-bar axes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .checks import check_int
from .constants import ALPHA_MAX, MODELS

__all__ = [
    "track_figure",
    "examples_figure",
    "alpha_hist2d",
    "dc_histogram",
    "confusion_figure",
    "mae_by_alpha_figure",
    "summary_figure",
]

DPI = 120
# Paper colours: prediction blue, ground truth orange (Figs. 4, 6, 8h).
PRED_COLOR, TRUE_COLOR = "C0", "C1"
# Segment colours: qualitative, distinguishable, and not the pred/true blue and orange.
SEGMENT_COLORS = ("#2ca02c", "#d62728", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f")
TRACK_KEYS = ("positions", "changepoints", "alpha_pred", "alpha_true", "proba", "labels_true", "classes", "title",
              "alpha_segment", "alpha_segment_se")
SEGMENT_ALPHA_COLOR = "black"


def _finish(fig: Figure, path) -> Figure:
    if path is not None:
        fig.savefig(Path(path), dpi=DPI)
    return fig


def _no_data(ax, message: str = "no data") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


# ---------------------------------------------------------------------------------------------- tracks


def _check_track(positions, changepoints, alpha_pred, alpha_true, proba, labels_true, classes,
                 alpha_segment=None, alpha_segment_se=None) -> dict:
    """Arrays of one track as numpy, checked against the track length L."""
    pos = np.asarray(positions, dtype=float)
    if pos.ndim != 2 or pos.shape[1] != 2 or pos.shape[0] < 1:
        raise ValueError(f"positions must be an array (L, 2) of x, y for ONE track; got shape {pos.shape}")
    length = pos.shape[0]
    cps = np.zeros(0, dtype=np.int64) if changepoints is None else np.asarray(changepoints)
    if cps.ndim != 1 or (cps.size and not np.all((cps >= 1) & (cps <= length - 1))):
        raise ValueError(
            f"changepoints must be a 1D array of first points of new segments, each in 1 .. {length - 1}; "
            f"got {changepoints!r}"
        )
    cps = np.unique(cps.astype(np.int64))
    out = {"positions": pos, "changepoints": cps, "classes": tuple(classes)}
    for name, value in (("alpha_pred", alpha_pred), ("alpha_true", alpha_true), ("labels_true", labels_true),
                        ("alpha_segment", alpha_segment), ("alpha_segment_se", alpha_segment_se)):
        arr = None if value is None else np.asarray(value)
        if arr is not None and arr.shape != (length,):
            raise ValueError(f"{name} must have one value per point, shape ({length},); got shape {arr.shape}")
        out[name] = arr
    prob = None if proba is None else np.asarray(proba, dtype=float)
    if prob is not None and prob.shape != (length, len(out["classes"])):
        raise ValueError(
            f"proba must be an array (L, n_classes) = ({length}, {len(out['classes'])}) in the order of "
            f"classes; got shape {prob.shape}"
        )
    out["proba"] = prob
    return out


def _panels(track: dict) -> list[str]:
    """Panels drawn for a checked track: the trajectory always, the others only for given inputs."""
    kinds = ["trajectory"]
    if any(track[k] is not None for k in ("alpha_pred", "alpha_true", "alpha_segment")):
        kinds.append("alpha")
    if track["proba"] is not None or track["labels_true"] is not None:
        kinds.append("model")
    return kinds


def _segment_note(track: dict, start: int, stop: int) -> str:
    """Legend text of one segment: its true model or true mean alpha when known."""
    if track["labels_true"] is not None:
        values, counts = np.unique(track["labels_true"][start:stop], return_counts=True)
        label = int(values[np.argmax(counts)])
        if 0 <= label < len(track["classes"]):
            return f" ({track['classes'][label].upper()})"
    if track["alpha_true"] is not None:
        return f" (\u03b1={np.nanmean(track['alpha_true'][start:stop].astype(float)):.2f})"
    return ""


def _draw_trajectory(ax, track: dict) -> None:
    pos, cps = track["positions"], track["changepoints"]
    bounds = np.concatenate([[0], cps, [len(pos)]])
    for k, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        # include the next segment's first point so that the drawn path has no gaps
        seg = pos[start : min(stop + 1, len(pos))]
        ax.plot(seg[:, 0], seg[:, 1], color=SEGMENT_COLORS[k % len(SEGMENT_COLORS)], lw=1.0,
                label=f"segment {k + 1}{_segment_note(track, start, stop)}")
    ax.plot(*pos[0], "o", ms=7, mfc="white", mec="black", label="start", zorder=3)
    ax.plot(*pos[-1], "s", ms=6, mfc="black", mec="black", label="end", zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x (input units)")
    ax.set_ylabel("y (input units)")
    # below the panel: a legend inside would hide parts of the path
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize="small", frameon=False)


def _draw_changepoints(ax, cps: np.ndarray, first_frame: int = 0) -> None:
    for c in cps:
        ax.axvline(first_frame + c, color="0.3", ls="--", lw=0.9)


def _draw_alpha(ax, track: dict) -> None:
    t0 = track.get("first_frame", 0)
    t = t0 + np.arange(len(track["positions"]))  # frame numbers
    values = []
    if track["alpha_true"] is not None:
        # "post": the value of point t holds on [t, t + 1), so a step sits exactly at its changepoint
        ax.step(t, track["alpha_true"], where="post", color=TRUE_COLOR, lw=2.0, label="true")
        values.append(track["alpha_true"].astype(float))
    if track["alpha_pred"] is not None:
        ax.plot(t, track["alpha_pred"], color=PRED_COLOR, lw=1.2, label="predicted")
        values.append(track["alpha_pred"].astype(float))
    if track["alpha_segment"] is not None:
        ax.step(t, track["alpha_segment"], where="post", color=SEGMENT_ALPHA_COLOR, lw=1.4, ls=":",
                label="reported per segment")
        if track.get("alpha_segment_se") is not None and np.isfinite(track["alpha_segment_se"]).any():
            # the 95 % interval alpha +- 1.96 alpha_se, within alpha's physical range 0-2; none where NaN
            centre, half = track["alpha_segment"].astype(float), 1.96 * track["alpha_segment_se"].astype(float)
            ax.fill_between(t, np.clip(centre - half, 0, ALPHA_MAX), np.clip(centre + half, 0, ALPHA_MAX),
                            step="post", color=SEGMENT_ALPHA_COLOR, alpha=0.12, lw=0, label="95 % interval")
        values.append(track["alpha_segment"].astype(float))
    _draw_changepoints(ax, track["changepoints"], t0)
    finite = np.concatenate(values)
    finite = finite[np.isfinite(finite)]
    low = min(0.0, finite.min()) if finite.size else 0.0
    high = max(ALPHA_MAX, finite.max()) if finite.size else ALPHA_MAX
    ax.set_ylim(low - 0.05, high + 0.35)  # headroom for the legend above the curves
    ax.set_xlim(t0 - 0.5, t0 + len(t) - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("time (frames)")
    ax.set_ylabel("\u03b1")
    ax.legend(loc="upper right", ncol=2, fontsize="small")


def _draw_model(ax, fig, track: dict) -> None:
    length, classes = len(track["positions"]), track["classes"]
    t0 = track.get("first_frame", 0)
    if track["proba"] is not None:
        image = ax.imshow(track["proba"].T, aspect="auto", origin="upper", cmap="Blues", vmin=0.0, vmax=1.0,
                          interpolation="nearest", extent=(t0 - 0.5, t0 + length - 0.5, len(classes) - 0.5, -0.5))
        fig.colorbar(image, ax=ax, label="probability", fraction=0.05, pad=0.02)
    else:
        ax.set_ylim(len(classes) - 0.5, -0.5)
    if track["labels_true"] is not None:
        ax.step(t0 + np.arange(length), track["labels_true"], where="post", color=TRUE_COLOR, lw=2.0,
                label="true class")
        # above the panel: inside it would hide the top class row
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False, borderaxespad=0.1)
    _draw_changepoints(ax, track["changepoints"], t0)
    ax.set_xlim(t0 - 0.5, t0 + length - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yticks(range(len(classes)), [c.upper() for c in classes])
    ax.set_xlabel("time (frames)")
    ax.set_ylabel("model")


def _panel_widths(kinds: list[str]) -> list[float]:
    return [1.0 if kind == "trajectory" else 1.6 for kind in kinds]


def _draw_track(fig, track: dict, title) -> None:
    """Draw one checked track into a Figure or SubFigure, one panel per input given, in a row."""
    kinds = _panels(track)
    axes = fig.subplots(1, len(kinds), squeeze=False, width_ratios=_panel_widths(kinds))[0]
    for ax, kind in zip(axes, kinds):
        ax.set_label(kind)
        if kind == "trajectory":
            _draw_trajectory(ax, track)
        elif kind == "alpha":
            _draw_alpha(ax, track)
        else:
            _draw_model(ax, fig, track)
    if title:
        fig.suptitle(title)


def track_figure(
    positions,
    changepoints=None,
    alpha_pred=None,
    alpha_true=None,
    proba=None,
    labels_true=None,
    classes=MODELS,
    title=None,
    path=None,
    first_frame: int = 0,
    alpha_segment=None,
    alpha_segment_se=None,
) -> Figure:
    """One track: trajectory by segment, then alpha(t) and class panels for the inputs given.

    Parameters
    ----------
    positions : array (L, 2), x and y of each point, in the input's units (pixels or um).
    changepoints : 1D int array, first point of each new segment (frames, 1 .. L-1); colours the
        trajectory by segment and draws dashed vertical lines in the time panels. None: one segment.
    alpha_pred, alpha_true : arrays (L,), point-wise alpha. Either one adds the alpha panel
        (paper Figs. 4, 5e): prediction as a blue line, truth as an orange step.
    proba : array (L, n_classes), class probabilities in the order of ``classes``; drawn as a
        heatmap (classes x time, darker = more probable; paper Fig. 6c).
    labels_true : int array (L,), true class index of each point, drawn as an orange step over
        the class panel. ``proba`` or ``labels_true`` adds the class panel.
    classes : class names of the indices (default ``MODELS``).
    title : figure title.
    path : where to write a PNG (120 dpi); None writes nothing.
    alpha_segment : array (L,), the alpha reported for each point's segment (the segments table's, e.g.
        an exact likelihood's), drawn as a black dotted step in the alpha panel.
    alpha_segment_se : array (L,), that alpha's standard error (the segments table's alpha_se; NaN where
        none), drawn as a grey band alpha_segment +- 1.96 alpha_segment_se, clipped to 0-2.
    first_frame : frame number of the first point; the time axes show frame numbers, so a piece
        of a track that starts at frame 120 is drawn at frames 120, 121, ... (changepoints stay
        indices into the piece).

    Returns the Figure; its panel axes are labelled "trajectory", "alpha", "model".
    """
    track = _check_track(positions, changepoints, alpha_pred, alpha_true, proba, labels_true, classes,
                         alpha_segment, alpha_segment_se)
    if isinstance(first_frame, bool) or not isinstance(first_frame, (int, np.integer)):
        raise ValueError(f"first_frame must be an integer frame number; got {first_frame!r}")
    track["first_frame"] = int(first_frame)
    n_time_panels = len(_panels(track)) - 1
    fig = Figure(figsize=(4.2 + 5.2 * n_time_panels, 4.4), layout="constrained")
    _draw_track(fig, track, title)
    return _finish(fig, path)


def examples_figure(examples, path=None, ncols: int = 1) -> Figure:
    """Several tracks in a grid, one ``track_figure`` layout per example, for evaluation reports.

    Parameters
    ----------
    examples : sequence of dicts with the keyword arguments of ``track_figure`` (``positions``
        required; ``changepoints``, ``alpha_pred``, ``alpha_true``, ``proba``, ``labels_true``,
        ``classes``, ``title`` optional). Each example is drawn with the panels of its own inputs.
    path : where to write a PNG (120 dpi); None writes nothing.
    ncols : examples side by side; rows = ceil(len(examples) / ncols).

    Returns the Figure; each example is one SubFigure (``fig.subfigs``) holding its panels.
    """
    examples = list(examples)
    if not examples:
        raise ValueError("examples must hold at least one dict of track_figure arguments")
    check_int(ncols, "ncols (examples per row)")
    tracks, titles = [], []
    for i, example in enumerate(examples):
        unknown = set(example) - set(TRACK_KEYS)
        if unknown or "positions" not in example:
            raise ValueError(
                f"examples[{i}] must be a dict with 'positions' and optionally {TRACK_KEYS[1:]}; "
                f"unknown keys {sorted(unknown)}"
            )
        args = {key: example.get(key) for key in TRACK_KEYS if key != "title"}
        args["classes"] = example.get("classes", MODELS)
        tracks.append(_check_track(**args))
        titles.append(example.get("title"))
    ncols = min(int(ncols), len(examples))
    nrows = math.ceil(len(examples) / ncols)
    widest = max(len(_panels(track)) - 1 for track in tracks)
    fig = Figure(figsize=(ncols * (4.2 + 5.2 * widest), nrows * 4.4), layout="constrained")
    subfigs = np.atleast_2d(fig.subfigures(nrows, ncols, squeeze=False))
    for i, subfig in enumerate(subfigs.ravel()):
        if i < len(tracks):
            _draw_track(subfig, tracks[i], titles[i] or f"example {i + 1}")
    return _finish(fig, path)


# ---------------------------------------------------------------------------------------- evaluation


def alpha_hist2d(alpha_true, alpha_pred, path=None, bins: int = 60) -> Figure:
    """2D histogram of predicted vs true alpha over all points, with the diagonal (paper Fig. 5c).

    alpha_true, alpha_pred : arrays of any (same) shape, point-wise alpha (dimensionless); NaN
    pairs are left out. Both axes span [0, 2]; the colour is the point count (log scale); the
    title gives the MAE over the finite pairs. ``bins`` per axis.
    """
    true = np.asarray(alpha_true, dtype=float).ravel()
    pred = np.asarray(alpha_pred, dtype=float).ravel()
    if true.shape != pred.shape:
        raise ValueError(f"alpha_true and alpha_pred must match point for point; got {true.size} and {pred.size}")
    keep = np.isfinite(true) & np.isfinite(pred)
    true, pred = true[keep], pred[keep]
    fig = Figure(figsize=(5.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    if true.size:
        from matplotlib.colors import LogNorm

        edges = np.linspace(0.0, 2.0, bins + 1)
        counts, _, _ = np.histogram2d(true, pred, bins=(edges, edges))
        mesh = ax.pcolormesh(edges, edges, np.ma.masked_equal(counts.T, 0), cmap="viridis",
                             norm=LogNorm(vmin=1, vmax=max(counts.max(), 2)))
        fig.colorbar(mesh, ax=ax, label="points")
        ax.set_title(f"MAE = {np.mean(np.abs(pred - true)):.4f} ({true.size} points)")
    else:
        ax.set_title("no data")
    ax.plot([0, 2], [0, 2], color="red", ls="--", lw=1.0, label="$\\alpha_{pred} = \\alpha_{true}$")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_aspect("equal")
    ax.set_xlabel("true \u03b1")
    ax.set_ylabel("predicted \u03b1")
    ax.legend(loc="upper left", fontsize="small")
    return _finish(fig, path)


def dc_histogram(dc, tp: int, fp: int, fn: int, threshold: float = 10, path=None, log: bool = False) -> Figure:
    """Histogram of changepoint position errors of the true positives, with TP/FP/FN (Figs. 5f, 7d).

    Parameters
    ----------
    dc : 1D array, pred - true (frames) of every true-positive changepoint, e.g.
        ``uandi.metrics.changepoint_scores(...)["dc"]``; rounded to integers for the bars.
    tp, fp, fn : counts of true positives, false positives and false negatives.
    threshold : frames; a TP has |dc| < threshold, which sets the histogram's range.
    path : where to write a PNG (120 dpi); None writes nothing.
    log : log-scaled counts (the paper's Fig. 7d, where dc = 0 dominates).

    The title gives F1 = 2TP / (2TP + FP + FN); an inset shows the TP/FP/FN counts.
    """
    dc = np.rint(np.asarray(dc, dtype=float).ravel()).astype(np.int64)
    tp, fp, fn = int(tp), int(fp), int(fn)
    reach = max(math.ceil(float(threshold)) - 1, int(np.abs(dc).max()) if dc.size else 0, 1)
    offsets = np.arange(-reach, reach + 1)
    counts = np.bincount(dc + reach, minlength=offsets.size)
    total = 2 * tp + fp + fn
    f1 = 2 * tp / total if total else float("nan")
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(offsets, counts, width=0.8, color=PRED_COLOR)
    ax.set_xticks(offsets if offsets.size <= 25 else offsets[:: math.ceil(offsets.size / 20)])
    ax.set_xlabel("\u03b4c = predicted \u2212 true changepoint (frames)")
    ax.set_ylabel("true positives")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"F1 = {f1:.4f}   (TP {tp}, FP {fp}, FN {fn}; |\u03b4c| < {threshold:g} frames)")
    top = max(counts.max(), 1)
    # headroom so that the inset sits above the bars
    if log:
        ax.set_ylim(0.5, top ** 1.8 if top > 1 else 10)  # limits first: no warning without positive bars
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, top * 1.8)
    inset = ax.inset_axes((0.68, 0.6, 0.29, 0.33))
    bars = inset.bar(range(3), [tp, fp, fn], color=["#2ca02c", "#d62728", "#7f7f7f"])
    inset.bar_label(bars, fontsize="x-small")
    inset.set_ylim(0, max(tp, fp, fn, 1) * 1.3)
    inset.set_xticks(range(3), ["TP", "FP", "FN"])
    inset.tick_params(labelsize="small")
    inset.set_ylabel("count", fontsize="small")
    inset.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _finish(fig, path)


def confusion_figure(matrix, classes=MODELS, normalize: bool = True, path=None) -> Figure:
    """Confusion matrix of point-wise classes (paper Fig. 7c), rows = true class, columns = predicted.

    matrix : array (n_classes, n_classes) of point counts, e.g. ``uandi.metrics.confusion_matrix``.
    normalize : divide each row by its total (per-class recall; empty rows stay 0) and print
        percentages; otherwise print counts. ``classes`` name the rows/columns.
    """
    counts = np.asarray(matrix, dtype=float)
    classes = tuple(classes)
    if counts.shape != (len(classes), len(classes)):
        raise ValueError(f"matrix must be ({len(classes)}, {len(classes)}) for classes {classes}; got {counts.shape}")
    if normalize:
        rows = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    else:
        values = counts
    fig = Figure(figsize=(5.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else max(values.max(), 1))
    fig.colorbar(image, ax=ax, label="fraction of the true class" if normalize else "points")
    high = (1 if normalize else max(values.max(), 1)) * 0.6
    for i in range(len(classes)):
        for j in range(len(classes)):
            text = f"{100 * values[i, j]:.1f}%" if normalize else f"{int(values[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if values[i, j] > high else "black")
    names = [c.upper() for c in classes]
    ax.set_xticks(range(len(classes)), names)
    ax.set_yticks(range(len(classes)), names)
    ax.set_xlabel("predicted model")
    ax.set_ylabel("true model")
    ax.set_title("confusion matrix" + (" (row-normalised)" if normalize else " (points)"))
    return _finish(fig, path)


def mae_by_alpha_figure(centers, mae, counts=None, path=None) -> Figure:
    """MAE as a function of the true alpha (paper Fig. 5d).

    centers, mae : arrays (n_bins,), bin centres of true alpha and the MAE of the points in each bin
        (NaN bins are skipped), e.g. from ``uandi.metrics.mae_by_alpha``.
    counts : optional array (n_bins,), points per bin, drawn as grey bars on a second axis.
    """
    centers = np.asarray(centers, dtype=float)
    mae = np.asarray(mae, dtype=float)
    if centers.ndim != 1 or centers.shape != mae.shape:
        raise ValueError(f"centers and mae must be 1D arrays of the same length; got {centers.shape}, {mae.shape}")
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    if counts is not None:
        counts = np.asarray(counts, dtype=float)
        if counts.shape != centers.shape:
            raise ValueError(f"counts must have one value per bin, shape {centers.shape}; got {counts.shape}")
        twin = ax.twinx()
        width = np.min(np.diff(centers)) * 0.9 if centers.size > 1 else 0.1
        twin.bar(centers, counts, width=width, color="0.85", label="points per bin")
        twin.set_ylabel("points per bin", color="0.45")
        twin.yaxis.set_major_locator(MaxNLocator(integer=True))
        twin.tick_params(axis="y", colors="0.45")
        ax.set_zorder(twin.get_zorder() + 1)  # MAE line above the bars
        ax.patch.set_visible(False)
    keep = np.isfinite(mae)
    ax.plot(centers[keep], mae[keep], "o-", color=PRED_COLOR, label="MAE")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, max(mae[keep].max() * 1.15, 1e-3) if keep.any() else 1)
    ax.set_xlabel("true \u03b1")
    ax.set_ylabel("MAE of \u03b1", color=PRED_COLOR)
    ax.set_title("MAE by true \u03b1")
    return _finish(fig, path)


# --------------------------------------------------------------------------------- uandi segment


def summary_figure(segments_table, path=None) -> Figure:
    """Overview of a segmentation for ``uandi segment``: alpha and model of the analysed points,
    segment lengths.

    segments_table : pandas DataFrame, one row per segment, with columns ``alpha`` (mean alpha of the
        segment, may be NaN), ``model`` (class name, case-insensitive, may be missing or NaN) and
        ``length`` (points, i.e. frames); any column may be absent. A panel with nothing to show
        says "no data".

    The alpha histogram and the model fractions count points (each segment weighs its length; one
    point each when ``length`` is absent), because "how much of the data moves how" is a question
    about points; the length histogram counts segments. Model fractions are over the points whose
    segment has a model, classes in ``MODELS`` order; names outside ``MODELS`` count as "other".
    Count axes have integer ticks.
    """
    table = segments_table
    fig = Figure(figsize=(12.0, 3.8), layout="constrained")
    ax_alpha, ax_model, ax_length = fig.subplots(1, 3)
    n_rows = len(table) if table is not None else 0
    length = _column(table, "length")
    weights = np.ones(n_rows) if length is None else np.where(np.isfinite(length), length, 0.0)  # points

    alpha = _column(table, "alpha")
    has_alpha = np.isfinite(alpha) if alpha is not None else np.zeros(n_rows, bool)
    if has_alpha.any():
        values = alpha[has_alpha]
        low, high = min(0.0, values.min()), max(ALPHA_MAX, values.max())  # no segment falls outside the bins
        ax_alpha.hist(values, bins=np.linspace(low, high, 21), weights=weights[has_alpha], color=PRED_COLOR,
                      edgecolor="white")
        ax_alpha.set_xlim(low, high)
        ax_alpha.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax_alpha.set_xlabel("segment mean \u03b1")
        ax_alpha.set_ylabel("points")
    else:
        _no_data(ax_alpha)
    ax_alpha.set_title(f"\u03b1 (n = {weights[has_alpha].sum():.0f} points in {int(has_alpha.sum())} segments)")

    models, model_weights = [], []
    if table is not None and "model" in getattr(table, "columns", ()):
        for m, w in zip(table["model"], weights):
            if isinstance(m, str) and m.strip():
                models.append(m.strip().lower())
                model_weights.append(w)
    total = float(np.sum(model_weights))
    if models and total > 0:
        names = list(MODELS)
        other = [m not in MODELS for m in models]
        if any(other):
            names.append("other")
        fractions = [sum(w for m, w, o in zip(models, model_weights, other) if (o if name == "other" else m == name))
                     / total for name in names]
        bars = ax_model.bar([n.upper() for n in names], fractions, color=SEGMENT_COLORS[: len(names)])
        ax_model.bar_label(bars, labels=[f"{f:.0%}" for f in fractions], fontsize="small")
        ax_model.set_ylim(0, min(1.1, max(fractions) * 1.25))
        ax_model.set_ylabel("fraction of points")
    else:
        _no_data(ax_model)
    ax_model.set_title(f"diffusion model (n = {total:.0f} points)")

    lengths = length[np.isfinite(length)] if length is not None else np.zeros(0)
    if lengths.size:
        ax_length.hist(lengths, bins=min(30, max(5, int(np.sqrt(lengths.size)) * 2)), color="0.45", edgecolor="white")
        ax_length.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax_length.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_length.set_xlabel("segment length (frames)")
        ax_length.set_ylabel("segments")
    else:
        _no_data(ax_length)
    ax_length.set_title(f"segment lengths (n = {lengths.size} segments)")
    return _finish(fig, path)


def _column(table, name: str):
    """A numeric column as a float array (non-numbers become NaN), or None when absent."""
    if table is None or name not in getattr(table, "columns", ()):
        return None
    import pandas as pd

    return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
