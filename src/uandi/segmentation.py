"""Segment a whole track table: odd rows handled, every point predicted, segments listed.

    points, segments = uandi.segment("tracks.csv")                  # shipped "alpha" and "model" nets
    points, segments = segment(df, tasks=("alpha",), weights={"alpha": "runs/alpha"})
    write_outputs(points, segments, "results", "tracks")           # tracks_points.csv, tracks_segments.csv

Units: positions in the input's units (pixels or µm; the networks are scale-free), time in frames,
alpha dimensionless (MSD ~ t^alpha), segment and piece lengths in points.

What happens to each input row (nothing is ever dropped; ``points`` has every input row exactly once,
in the input's order, and its ``reason`` column says why a row was not analysed):

1. Rows are sorted by (track_id, frame) for the analysis only; the output keeps the input's order.
2. A row with a missing track id gets ``reason = "missing track id"`` (it belongs to no track).
3. A row whose x or y is NaN or infinite gets ``reason = "missing position"``; it is not used, and
   the track is split there exactly as at a gap in the frames (step 5).
4. Rows sharing (track_id, frame): the first one in input order with a finite position is analysed;
   the others get ``reason = "duplicate frame"`` (if none is finite, the first gets "missing
   position" and the others "duplicate frame").
5. The analysed rows of a track are cut into *pieces* of consecutive frames (frame step exactly 1):
   a jump in frame numbers, or a missing position, starts a new piece. ``piece`` numbers them
   0, 1, ... in frame order within each track. Each piece is analysed as a separate trajectory (the
   networks assume a regular time step, so they never see a gap). Rows of steps 2-4 have ``piece``
   <NA>.
6. A piece shorter than ``min_length`` points keeps its piece id, gets NaN predictions and
   ``reason = "too short (n < min_length)"`` (with the numbers).

Segmentation of one piece (SCIENCE.md section 5), see :func:`combine_changepoints`:

- alpha task: changepoints from the point-wise alpha by the rule in the alpha model's weight card
  (:func:`uandi.postprocess.segments_from_alpha_contrast`), or by the paper's Appendix algorithm
  (:func:`uandi.postprocess.segments_from_alpha` with ``eps`` and ``min_gap``) when ``eps`` is given;
- model task: changepoints by the rule in the model's weight card: peaks of the contrast between the
  class probabilities of the windows before and after each point
  (:func:`uandi.postprocess.segments_from_proba_contrast`), or where the point-wise class (argmax)
  changes, after runs shorter than ``min_gap`` points are absorbed by their neighbours
  (:func:`uandi.postprocess.segments_from_labels`);
- both tasks: all alpha changepoints are kept, and a model changepoint is added only where it lies at
  least ``min_gap`` points from every kept changepoint (so a change seen by both networks counts once,
  at the place the alpha algorithm put it: the steepest change of alpha). Every segment has at least
  ``min_gap`` points.

Output columns: a DataFrame comes back with its own columns and index; a file comes back under the
file's own column names and order (trackpy's ``particle``, saspt's ``trajectory, frame, y, x``), then
``row`` (the row's index in the file), a ``frame`` numbered 0..n-1 if the file had none, and the added
columns.

Per segment: ``alpha`` = mean of the point-wise alpha, ``model`` = the class with the largest mean
probability over the segment, ``probability`` = that mean probability.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import check_int
from .constants import MIN_TRACK_LENGTH
from .notices import notify
from .postprocess import (
    alpha_postprocess_settings,
    model_postprocess_settings,
    segment_means,
    segments_from_alpha_by,
    segments_from_proba_by,
)
from .weights import default_network

__all__ = ["TASKS", "combine_changepoints", "segment", "write_outputs"]

TASKS = ("alpha", "model")


# --- input -----------------------------------------------------------------------------------------


def _check_tasks(tasks) -> tuple:
    if isinstance(tasks, str):
        tasks = (tasks,)
    tasks = tuple(tasks)
    if not tasks or len(set(tasks)) != len(tasks) or not set(tasks) <= set(TASKS):
        raise ValueError(f"tasks must be a non-empty selection of {TASKS} without repeats; got {tasks!r}")
    return tuple(t for t in TASKS if t in tasks)  # fixed order: alpha first


def _output_names(tasks: tuple, classes: tuple) -> list:
    """Names of the point columns segment() adds, in order."""
    names = ["piece"]
    if "alpha" in tasks:
        names.append("alpha")
    if "model" in tasks:
        names += ["model", *(f"p_{c}" for c in classes)]
    names.append("segment")
    if "alpha" in tasks:
        names.append("segment_alpha")
    names.append("reason")
    return names


def _read_input(table_or_path, columns, format, delimiter=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(the user's table, the canonical analysis table, canonical name -> user's column name)."""
    from .io import read_tracks
    from .io._canonical import build_canonical, resolve_columns

    if isinstance(table_or_path, (str, os.PathLike)):
        table = read_tracks(table_or_path, format=format, columns=columns, delimiter=delimiter)
        return table, table, {k: k for k in ("track_id", "frame", "x", "y")}
    if not isinstance(table_or_path, pd.DataFrame):
        raise TypeError(
            f"segment() takes a track file path or a pandas DataFrame; got {type(table_or_path).__name__}"
        )
    if format is not None or delimiter is not None:
        raise ValueError("format= and delimiter= are for reading files; leave them out when passing a DataFrame")
    table = table_or_path
    # Same column rules and checks as the file readers: aliases, 1D and varying-z (3D) refusal,
    # numeric coordinates, integer frames (numbered 0..n-1 in row order within a track if absent).
    mapping = resolve_columns(list(table.columns), columns, source="DataFrame")
    canonical = build_canonical(table, mapping, source="DataFrame")
    names = {k: mapping[k] for k in ("track_id", "x", "y")}
    names["frame"] = mapping["frame"]  # None: frames were numbered, not read
    return table, canonical, names


def _resolve_predictors(tasks, weights, device) -> dict:
    weights = dict(weights or {})
    unknown = set(weights) - set(TASKS)
    if unknown:
        raise ValueError(f"weights= has unknown task(s) {sorted(unknown)}; its keys are tasks {TASKS}")
    predictors = {}
    for task in tasks:
        spec = weights.get(task) or default_network(task)
        if isinstance(spec, (str, os.PathLike)):
            from .predict import load

            spec = load(spec, device=device)
        if getattr(spec, "task", None) != task:
            raise ValueError(
                f"weights[{task!r}] must be a {task} network (a name, a path or a loaded Predictor); "
                f"got one for task {getattr(spec, 'task', None)!r}"
            )
        predictors[task] = spec
    return predictors


# --- analysis plan: sorted order, odd rows, pieces -----------------------------------------------


def _factorize_tracks(track_id: pd.Series) -> np.ndarray:
    """Integer code per row (-1: missing id), increasing with the id where ids can be ordered."""
    try:
        codes, _ = pd.factorize(track_id, sort=True)
    except TypeError:  # ids of mixed types cannot be ordered; order of first appearance then
        codes, _ = pd.factorize(track_id, sort=False)
    return np.asarray(codes, dtype=np.int64)


def _plan(canonical: pd.DataFrame, min_length: int) -> dict:
    """Reasons for odd rows and the pieces, all vectorised (265k rows in well under a second)."""
    n = len(canonical)
    codes = _factorize_tracks(canonical["track_id"])
    frame = canonical["frame"].to_numpy(np.int64)
    xy = canonical[["x", "y"]].to_numpy(np.float64)
    finite = np.isfinite(xy).all(axis=1)

    reason = np.full(n, "", dtype=object)
    reason[codes < 0] = "missing track id"
    reason[(codes >= 0) & ~finite] = "missing position"
    # sort by track, frame, finite rows first, input order; the first of equal (track, frame) is kept
    order = np.lexsort((np.arange(n), ~finite, frame, codes))
    sorted_codes, sorted_frames = codes[order], frame[order]
    repeat = np.zeros(n, bool)
    repeat[1:] = (sorted_codes[1:] == sorted_codes[:-1]) & (sorted_frames[1:] == sorted_frames[:-1])
    reason[order[repeat & (sorted_codes >= 0)]] = "duplicate frame"

    used = order[reason[order] == ""]  # analysed rows, sorted by (track, frame)
    used_codes, used_frames = codes[used], frame[used]
    new_piece = np.ones(used.size, bool)
    new_piece[1:] = (used_codes[1:] != used_codes[:-1]) | (np.diff(used_frames) != 1)
    starts = np.flatnonzero(new_piece)
    lengths = np.diff(np.append(starts, used.size))
    piece_codes = used_codes[starts]
    first_of_track = np.ones(starts.size, bool)
    first_of_track[1:] = piece_codes[1:] != piece_codes[:-1]
    index = np.arange(starts.size)
    piece_ids = index - np.maximum.accumulate(np.where(first_of_track, index, 0))  # 0, 1, ... per track

    piece = np.full(n, -1, np.int64)
    piece[used] = np.repeat(piece_ids, lengths)
    short = lengths < min_length
    for s, length in zip(starts[short], lengths[short]):
        reason[used[s : s + length]] = f"too short ({length} < {min_length})"
    return {"codes": codes, "xy": xy, "reason": reason, "used": used, "starts": starts, "lengths": lengths,
            "piece_codes": piece_codes, "piece_ids": piece_ids, "short": short, "piece": piece}


# --- prediction ----------------------------------------------------------------------------------


class _Progress:
    """Adapts progress= (None, callable(n_done, n_total) or a tqdm-like object with update())."""

    def __init__(self, progress, total: int):
        if progress is not None and not hasattr(progress, "update") and not callable(progress):
            raise TypeError("progress must be a callable(n_done, n_total) or an object with update(n) (tqdm)")
        self.progress, self.total, self.done = progress, total, 0
        if hasattr(progress, "update") and getattr(progress, "total", 0) is None:
            progress.total = total

    def advance(self, n: int) -> None:
        self.done += n
        if self.progress is None:
            return
        if hasattr(self.progress, "update"):
            self.progress.update(n)
        else:
            self.progress(self.done, self.total)


def _predict_pieces(predictors: dict, tracks: list, batch_size: int, progress) -> dict:
    """Point-wise outputs per piece and task: alpha (L,) and proba (L, C), in `tracks` order.

    Pieces go to the networks in chunks of `batch_size`, longest pieces in the same chunks as pieces
    of similar length (the Predictor batches equal lengths together; no padding, which would change
    a non-causal network's predictions)."""
    by_length = sorted(range(len(tracks)), key=lambda i: len(tracks[i]))
    meter = _Progress(progress, sum(len(t) for t in tracks) * len(predictors))
    out = {}
    for task, predictor in predictors.items():
        values = [None] * len(tracks)
        for s in range(0, len(by_length), batch_size):
            chunk = by_length[s : s + batch_size]
            batch = [tracks[i] for i in chunk]
            if task == "alpha":
                result = predictor.predict(batch, batch_size=batch_size)
            else:
                result = predictor.predict_proba(batch, batch_size=batch_size)
            for i, r in zip(chunk, result):
                values[i] = np.asarray(r, dtype=np.float64)
            meter.advance(sum(len(t) for t in batch))
        out[task] = values
    return out


# --- segmentation ----------------------------------------------------------------------------------


def combine_changepoints(alpha_changepoints, model_changepoints, length: int, min_gap: int = 10) -> np.ndarray:
    """One set of changepoints for a piece of `length` points from the two networks' sets.

    Every alpha changepoint is kept (the Appendix algorithm already spaces them at least `min_gap`
    points apart and from the ends, and places each at the steepest change of alpha); then, in order
    of position, each model changepoint is added if it lies at least `min_gap` points from every kept
    changepoint and from both ends. A change that both networks see therefore counts once, where the
    alpha network put it. Either set may be empty; changepoints are first points of new segments.
    Returns a sorted int64 array; every resulting segment has at least `min_gap` points.
    """
    kept: list[int] = []
    for cp in [*np.asarray(alpha_changepoints, np.int64).tolist(), *np.asarray(model_changepoints, np.int64).tolist()]:
        if cp < min_gap or length - cp < min_gap:
            continue
        if all(abs(cp - k) >= min_gap for k in kept):
            kept.append(cp)
    return np.asarray(sorted(kept), dtype=np.int64)


def _segment_piece(alpha, proba, alpha_settings: dict, model_settings: dict, min_gap: int) -> tuple:
    """Changepoints and per-segment (alpha, class index, probability) of one piece."""
    length = len(alpha) if alpha is not None else len(proba)
    alpha_cps = segments_from_alpha_by(alpha, alpha_settings)[0] if alpha is not None else []
    model_cps = segments_from_proba_by(proba, model_settings)[0] if proba is not None else []
    cps = combine_changepoints(alpha_cps, model_cps, length, min_gap)
    counts = np.diff(np.concatenate(([0], cps, [length])))
    seg_alpha = segment_means(alpha, cps) if alpha is not None else None
    if proba is None:
        return cps, counts, seg_alpha, None, None
    mean_p = segment_means(proba, cps)  # (segments, C)
    best = mean_p.argmax(axis=1)
    return cps, counts, seg_alpha, best, mean_p[np.arange(best.size), best]


def segment(
    table_or_path,
    *,
    tasks=TASKS,
    weights: Mapping | None = None,
    min_length: int = MIN_TRACK_LENGTH,
    columns: Mapping | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    eps: float | None = None,
    min_gap: int = 10,
    device: str = "auto",
    batch_size: int = 256,
    progress=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Point-wise alpha and diffusion model, and segments, for every track of a table or file.

    How odd rows (unsorted, duplicate frames, missing positions, gaps, short tracks) are handled and
    how segments are made is described in the module docstring.

    Parameters
    ----------
    table_or_path : a track file (any format of :func:`uandi.io.read_tracks`) or a DataFrame with
        track id, x, y and optionally frame columns (names as for the readers: ``track_id``,
        ``particle``, ``frame``, ``t``, ``x``, ``y``, ...; without a frame column the points are
        numbered 0..n-1 in row order within each track). Positions in any unit, time in frames.
    tasks : ``("alpha", "model")`` or one of them.
    weights : task -> shipped model name, weights file, training-run folder or loaded Predictor;
        default ``{"alpha": "alpha", "model": "model"}`` (the shipped models).
    min_length : shortest piece analysed, in points (>= 20, the networks' minimum).
    columns : canonical name -> column name in the file or DataFrame (see read_tracks).
    format : file format for a path (see read_tracks); None picks it from the extension.
    delimiter : field separator of a delimited file (see read_tracks); None guesses it.
    eps : threshold on |alpha_(i+1) - alpha_i| of the paper's Appendix algorithm. None (default): the
        post-processing tuned for the alpha network and stored in its card (``postprocess``: the
        Appendix rule with its eps, or the window-contrast rule), else the Appendix rule with eps 0.028.
    min_gap : shortest segment, in points (paper: 10): the alpha algorithm's plateau, the shortest
        run of one predicted class, and the closest two changepoints may be.
    device : "auto", "cpu" or "cuda", for the networks loaded here.
    batch_size : pieces per network call.
    progress : None, a callable ``progress(n_done, n_total)`` or a tqdm-like object (``update(n)``);
        counts points predicted, once per task. The library never prints.

    Returns
    -------
    points : the input table, every row exactly once and in the input order, all its columns
        unchanged (a DataFrame keeps its index; a ``row`` column 0..n-1 is added if absent; an input
        column whose name segment() needs, e.g. ``alpha``, is kept renamed to ``alpha_input``),
        plus: ``piece`` (Int64, piece id within the track, <NA> for rows in no piece), ``alpha``
        (point-wise alpha, alpha task), ``model`` (point-wise class name, model task) and
        ``p_attm`` ... ``p_sbm`` (class probabilities, one per class of the network), ``segment``
        (Int64 segment id within the piece), ``segment_alpha`` (the segment's mean alpha, alpha
        task) and ``reason`` ("" when analysed). Rows not analysed have NaN/None/<NA> predictions.
    segments : one row per segment: ``track_id, piece, segment, first_frame, last_frame, length,
        first_row`` (the ``row`` value of the segment's first point), ``alpha`` (alpha task),
        ``model, probability`` (model task), ``reason``. A piece too short to analyse is one row
        with <NA> segment, NaN predictions and its reason; a track with no usable point at all is
        one row with <NA> piece and the reason (its rows' reasons, joined). Sorted by track_id,
        piece, segment.
    """
    tasks = _check_tasks(tasks)
    if check_int(min_length, "min_length") < MIN_TRACK_LENGTH:
        raise ValueError(f"min_length must be at least {MIN_TRACK_LENGTH} points, the networks' minimum; got {min_length}")
    min_gap = check_int(min_gap, "min_gap")
    batch_size = check_int(batch_size, "batch_size")
    if eps is not None and (not np.isfinite(eps) or eps < 0):
        raise ValueError(f"eps must be a finite number >= 0; got {eps!r}")

    table, canonical, names = _read_input(table_or_path, columns, format, delimiter)
    predictors = _resolve_predictors(tasks, weights, device)
    if eps is None:
        alpha_settings = alpha_postprocess_settings(predictors.get("alpha"))
        alpha_settings["min_gap"] = min_gap
    else:
        alpha_settings = {"method": "appendix", "eps": float(eps), "min_gap": min_gap}
    model_settings = {**model_postprocess_settings(predictors.get("model")), "min_gap": min_gap}
    classes = tuple(predictors["model"].classes) if "model" in predictors else ()
    plan = _plan(canonical, min_length)
    n = len(canonical)

    # the pieces the networks see, positions sorted by frame
    used, starts, lengths, short = plan["used"], plan["starts"], plan["lengths"], plan["short"]
    analysed = np.flatnonzero(~short)
    tracks = [plan["xy"][used[starts[p] : starts[p] + lengths[p]]] for p in analysed]
    outputs = _predict_pieces(predictors, tracks, batch_size, progress) if tracks else {t: [] for t in tasks}

    # point-wise output in sorted (analysis) order, scattered back to input rows at the end
    alpha_pt = np.full(n, np.nan)
    proba_pt = np.full((n, len(classes)), np.nan)
    seg_pt = np.full(n, -1, np.int64)
    seg_alpha_pt = np.full(n, np.nan)
    row_values = table["row"].to_numpy() if "row" in table.columns else np.arange(n)
    track_values = table[names["track_id"]].to_numpy()
    frame = canonical["frame"].to_numpy(np.int64)
    records = []
    for k, p in enumerate(analysed):
        rows = used[starts[p] : starts[p] + lengths[p]]
        alpha = outputs["alpha"][k] if "alpha" in outputs else None
        proba = outputs["model"][k] if "model" in outputs else None
        cps, counts, seg_alpha, best, prob = _segment_piece(alpha, proba, alpha_settings, model_settings, min_gap)
        seg_ids = np.repeat(np.arange(counts.size), counts)
        seg_pt[rows] = seg_ids
        if alpha is not None:
            alpha_pt[rows] = alpha
            seg_alpha_pt[rows] = seg_alpha[seg_ids]
        if proba is not None:
            proba_pt[rows] = proba
        first = np.concatenate(([0], cps))
        for s in range(counts.size):
            head, tail = rows[first[s]], rows[first[s] + counts[s] - 1]
            record = {"_code": plan["piece_codes"][p], "track_id": track_values[head],
                      "piece": plan["piece_ids"][p], "segment": s, "first_frame": frame[head],
                      "last_frame": frame[tail], "length": int(counts[s]), "first_row": row_values[head]}
            if alpha is not None:
                record["alpha"] = seg_alpha[s]
            if proba is not None:
                record["model"] = classes[best[s]]
                record["probability"] = prob[s]
            records.append(record | {"reason": ""})
    for p in np.flatnonzero(short):
        rows = used[starts[p] : starts[p] + lengths[p]]
        records.append({"_code": plan["piece_codes"][p], "track_id": track_values[rows[0]],
                        "piece": plan["piece_ids"][p], "segment": pd.NA, "first_frame": frame[rows[0]],
                        "last_frame": frame[rows[-1]], "length": int(lengths[p]),
                        "first_row": row_values[rows[0]], "reason": plan["reason"][rows[0]]})
    records += _unusable_tracks(plan, track_values, row_values, frame)

    points = _points_table(table, tasks, classes, plan, alpha_pt, proba_pt, seg_pt, seg_alpha_pt)
    if isinstance(table_or_path, (str, os.PathLike)):
        points, names = _restore_input_names(points, table.attrs.get("input_columns"), names)
    points.attrs["uandi"] = {"columns": names, "classes": list(classes), "tasks": list(tasks)}
    return points, _segments_table(records, tasks)


def _unusable_tracks(plan, track_values, row_values, frame) -> list:
    """One record per track none of whose rows made it into a piece (e.g. all positions missing)."""
    codes = plan["codes"]
    n_tracks = int(codes.max()) + 1 if codes.size else 0
    has_piece = np.zeros(n_tracks, bool)
    has_piece[plan["piece_codes"]] = True
    unusable = np.flatnonzero(~has_piece)
    if unusable.size == 0:
        return []
    by_track = np.argsort(codes, kind="stable")  # rows grouped by track, input order within a track
    bounds = np.searchsorted(codes[by_track], np.stack([unusable, unusable + 1]))
    records = []
    for code, lo, hi in zip(unusable, *bounds):
        rows = by_track[lo:hi]
        records.append({"_code": code, "track_id": track_values[rows[0]], "piece": pd.NA, "segment": pd.NA,
                        "first_frame": frame[rows].min(), "last_frame": frame[rows].max(), "length": rows.size,
                        "first_row": row_values[rows[np.argmin(frame[rows])]],
                        "reason": "; ".join(sorted(set(plan["reason"][rows])))})
    return records


def _restore_input_names(points: pd.DataFrame, origin: dict | None, names: dict) -> tuple[pd.DataFrame, dict]:
    """A file's rows come back under the file's own column names and order (e.g. trackpy's
    ``particle``, saspt's ``trajectory, frame, y, x``); columns the file did not have (``row``, a
    numbered ``frame``) and the added ones follow. Returns the table and canonical -> output names."""
    if not origin:
        return points, names
    back = {canon: name for canon, name in origin["names"].items() if name is not None and name != canon}
    if any(name in points.columns for name in back.values()):
        return points, names  # an extra column already uses the name: keep the canonical ones
    points = points.rename(columns=back)
    first = [c for c in origin["order"] if c in points.columns]
    return points[first + [c for c in points.columns if c not in first]], {**names, **back}


def _points_table(table, tasks, classes, plan, alpha_pt, proba_pt, seg_pt, seg_alpha_pt) -> pd.DataFrame:
    added = _output_names(tasks, classes)
    points = table.copy()
    clashes = [c for c in points.columns if c in added]
    renamed = {c: f"{c}_input" for c in clashes}
    taken = [r for r in renamed.values() if r in points.columns]
    if taken:
        raise ValueError(f"the input has columns {clashes} and {taken}; rename one so segment() can add its columns")
    for old, new in renamed.items():
        notify(f"the input's column {old!r} is kept as {new!r}: segment() writes its own {old!r}")
    points = points.rename(columns=renamed)
    if "row" not in points.columns:
        points["row"] = np.arange(len(points), dtype=np.int64)
    piece = pd.array(plan["piece"], dtype="Int64")
    piece[plan["piece"] < 0] = pd.NA
    new = {"piece": piece}
    if "alpha" in tasks:
        new["alpha"] = alpha_pt
    if "model" in tasks:
        analysed = np.isfinite(proba_pt).all(axis=1)
        model = np.full(len(points), None, dtype=object)
        model[analysed] = np.asarray(classes, dtype=object)[proba_pt[analysed].argmax(axis=1)]
        new["model"] = model
        for j, c in enumerate(classes):
            new[f"p_{c}"] = proba_pt[:, j]
    segment_ids = pd.array(seg_pt, dtype="Int64")
    segment_ids[seg_pt < 0] = pd.NA
    new["segment"] = segment_ids
    if "alpha" in tasks:
        new["segment_alpha"] = seg_alpha_pt
    new["reason"] = plan["reason"]
    for name in added:  # assigned as arrays: positions, so any index of the input is kept
        points[name] = new[name]
    return points


def _segments_table(records: list, tasks) -> pd.DataFrame:
    columns = ["track_id", "piece", "segment", "first_frame", "last_frame", "length", "first_row"]
    if "alpha" in tasks:
        columns.append("alpha")
    if "model" in tasks:
        columns += ["model", "probability"]
    columns.append("reason")
    if not records:
        return pd.DataFrame({c: [] for c in columns})
    table = pd.DataFrame.from_records(records)
    sort_piece = table["piece"].fillna(-1).astype(np.int64)
    sort_segment = table["segment"].fillna(-1).astype(np.int64)
    order = np.lexsort((sort_segment.to_numpy(), sort_piece.to_numpy(), table["_code"].to_numpy(np.int64)))
    table = table.iloc[order].reset_index(drop=True)
    for c in ("piece", "segment"):
        table[c] = pd.array(table[c].tolist(), dtype="Int64")
    for c in ("first_frame", "last_frame", "length"):
        table[c] = table[c].astype(np.int64)
    for c in ("alpha", "probability"):
        if c in table:
            table[c] = table[c].astype(np.float64)
    if "model" in table:
        table["model"] = table["model"].astype(object).where(table["model"].notna(), None)
    return table.reindex(columns=columns)


# --- files -----------------------------------------------------------------------------------------


def write_outputs(points: pd.DataFrame, segments: pd.DataFrame, out_dir, stem: str, *, plot: bool = False,
                  max_plots: int = 20) -> list[Path]:
    """Write ``<stem>_points.csv`` and ``<stem>_segments.csv`` into `out_dir` (created if needed).

    With ``plot=True`` also one PNG per analysed piece, the `max_plots` longest first
    (``<stem>_track<track_id>_piece<piece>.png``: positions, changepoints, alpha, probabilities), and
    ``<stem>_summary.png`` (alpha, model and length of the analysed segments), drawn by
    :func:`uandi.plot.track_figure` and :func:`uandi.plot.summary_figure`.
    Returns the written paths.
    """
    from .io import write_table

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in (("points", points), ("segments", segments)):
        path = out_dir / f"{stem}_{name}.csv"
        write_table(df, path)
        written.append(path)
    if plot:
        written += _plot_outputs(points, segments, out_dir, stem, max_plots)
    return written


def _plot_outputs(points: pd.DataFrame, segments: pd.DataFrame, out_dir: Path, stem: str, max_plots: int) -> list:
    """Figures of the longest analysed pieces and a summary, via uandi.plot (imported only here)."""
    from . import plot

    meta = points.attrs.get("uandi", {})
    names = meta.get("columns", {})
    x_name, y_name = names.get("x", "x"), names.get("y", "y")
    track_name = names.get("track_id", "track_id")
    frame_name = names.get("frame") or None
    classes = tuple(meta.get("classes", ())) or tuple(c[2:] for c in points.columns if c.startswith("p_"))
    written = []
    analysed = segments[segments["reason"] == ""]
    pieces = (analysed.groupby(["track_id", "piece"], sort=False)["length"].sum()
              .sort_values(ascending=False, kind="stable").head(max_plots))
    for track_id, piece in pieces.index:
        mask = (points[track_name] == track_id).to_numpy() & (points["piece"] == piece).fillna(False).to_numpy()
        rows = points[mask]
        if frame_name is not None:
            rows = rows.sort_values(frame_name, kind="stable")
        seg = rows["segment"].to_numpy(np.int64)
        changepoints = np.flatnonzero(np.diff(seg) != 0) + 1
        proba = rows[[f"p_{c}" for c in classes]].to_numpy() if classes and "model" in rows else None
        path = out_dir / f"{stem}_track{track_id}_piece{piece}.png"
        plot.track_figure(rows[[x_name, y_name]].to_numpy(np.float64), changepoints=changepoints,
                          alpha_pred=rows["alpha"].to_numpy() if "alpha" in rows else None, proba=proba,
                          **({"classes": classes} if classes else {}),
                          title=f"track {track_id}, piece {piece}", path=path)
        written.append(path)
    path = out_dir / f"{stem}_summary.png"
    plot.summary_figure(analysed, path=path)  # segments only: too-short pieces would skew the lengths
    written.append(path)
    return written
