"""Results as tables, files and figures: the rows of uandi.segment's output.

    points = points_table(source, pieces, analysed, outputs, segments, tasks, classes)
    segments = segments_table(source, pieces, analysed, segments, tasks)
    write_outputs(points, segments, "results", "tracks", plot=True)   # CSVs, one PNG per piece, a summary

Everything here handles rows and columns only: which row belongs to which piece comes from
uandi.tracks.Pieces, and each piece's changepoints and per-segment values from
uandi.postprocess.Segments, computed before.

``points``: the input table, every row exactly once and in the input order, its columns unchanged (a
file's rows under the file's own column names and order), then ``row`` if absent, and per point:
``piece`` (Int64, piece id within the track, <NA> for a row in no piece), ``alpha`` (alpha task),
``alpha_clipped`` (boolean: alpha sits at the bound 0.05 or 2 the predictions are clipped to, so the
exponent may lie beyond; <NA> where no alpha),
``model`` and ``p_attm`` ... ``p_sbm`` (diffusion-model task: the class with the largest probability,
and each class's probability), ``segment`` (Int64, segment id within the piece), ``segment_alpha``
(the segment's alpha, alpha task) and ``reason`` ("" when analysed). Rows not analysed have
NaN/None/<NA> there.

``segments``: one row per segment, ``track_id, piece, segment, first_frame, last_frame, length,
first_row`` (the ``row`` of the segment's first point), the per-segment values
(uandi.postprocess.segment_columns: ``alpha, alpha_clipped`` (the share of its points at a bound);
``model, probability``; with the likelihood also ``first_frame_low, first_frame_high`` (Int64, the 95 %
interval of the frame where the segment's motion begins, <NA> where no likelihood placed that change),
``alpha_se, K, ...``) and ``reason``. A piece too short to analyse, or immobile, is one row with
<NA> segment and its reason; a track with no usable point at all is
one row with <NA> piece and the reasons of its rows. Sorted by track, piece, segment.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .notices import notify
from .postprocess import alpha_clipped, classifier_columns, segment_columns

__all__ = ["points_table", "segments_table", "write_outputs"]

_SEGMENT_POSITION = ["track_id", "piece", "segment", "first_frame", "last_frame", "length", "first_row"]


def _added_point_columns(tasks: tuple, classes: tuple) -> list:
    """Names of the point columns segment() adds, in order."""
    names = ["piece"]
    if "alpha" in tasks:
        names += ["alpha", "alpha_clipped"]
    if "model" in tasks:
        names += ["model", *(f"p_{c}" for c in classes)]
    names.append("segment")
    if "alpha" in tasks:
        names.append("segment_alpha")
    names.append("reason")
    return names


def _row_values(table: pd.DataFrame) -> np.ndarray:
    """Each row's ``row`` number: the file's, or the position 0..n-1."""
    return table["row"].to_numpy() if "row" in table.columns else np.arange(len(table))


def points_table(source, pieces, analysed, outputs: dict, segments: list, tasks: tuple, classes: tuple) -> pd.DataFrame:
    """The input rows with the point-wise results (module docstring).

    source : uandi.tracks.TrackTable. pieces : uandi.tracks.Pieces. analysed : indices of the analysed
    pieces; outputs[task][k] and segments[k] belong to piece analysed[k]: alpha (L,), class
    probabilities (L, C) in the order `classes`, and its uandi.postprocess.Segments.
    """
    n = len(source.canonical)
    alpha_pt = np.full(n, np.nan)
    proba_pt = np.full((n, len(classes)), np.nan)
    segment_pt = np.full(n, -1, np.int64)
    segment_alpha_pt = np.full(n, np.nan)
    for k, p in enumerate(analysed):
        rows = pieces.rows_of(p)
        labels = segments[k].labels()  # (L,) segment of each point
        segment_pt[rows] = labels
        if "alpha" in outputs:
            alpha_pt[rows] = outputs["alpha"][k]
            segment_alpha_pt[rows] = segments[k]["alpha"][labels]
        if "model" in outputs:
            proba_pt[rows] = outputs["model"][k]

    added = _added_point_columns(tasks, classes)
    points = source.table.copy()
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
    piece = pd.array(pieces.piece, dtype="Int64")
    piece[pieces.piece < 0] = pd.NA
    new = {"piece": piece}
    if "alpha" in tasks:
        new["alpha"] = alpha_pt
        clipped = pd.array(alpha_clipped(alpha_pt), dtype="boolean")
        clipped[~np.isfinite(alpha_pt)] = pd.NA
        new["alpha_clipped"] = clipped
    if "model" in tasks:
        has_proba = np.isfinite(proba_pt).all(axis=1)
        model = np.full(len(points), None, dtype=object)
        model[has_proba] = np.asarray(classes, dtype=object)[proba_pt[has_proba].argmax(axis=1)]
        new["model"] = model
        for j, c in enumerate(classes):
            new[f"p_{c}"] = proba_pt[:, j]
    segment_ids = pd.array(segment_pt, dtype="Int64")
    segment_ids[segment_pt < 0] = pd.NA
    new["segment"] = segment_ids
    if "alpha" in tasks:
        new["segment_alpha"] = segment_alpha_pt
    new["reason"] = pieces.reason
    for name in added:  # assigned as arrays: positions, so any index of the input is kept
        points[name] = new[name]

    points, names = _restore_file_names(points, source.file_columns, source.names)
    points.attrs["uandi"] = {"columns": names, "classes": list(classes), "tasks": list(tasks)}
    return points


def _restore_file_names(points: pd.DataFrame, file_columns: dict | None, names: dict) -> tuple[pd.DataFrame, dict]:
    """A file's rows come back under the file's own column names and order (e.g. trackpy's
    ``particle``, saspt's ``trajectory, frame, y, x``); columns the file did not have (``row``, a
    numbered ``frame``) and the added ones follow. Returns the table and canonical -> output names."""
    if not file_columns:
        return points, names
    back = {canon: name for canon, name in file_columns["names"].items() if name is not None and name != canon}
    if any(name in points.columns for name in back.values()):
        return points, names  # an extra column already uses the name: keep the canonical ones
    points = points.rename(columns=back)
    first = [c for c in file_columns["order"] if c in points.columns]
    return points[first + [c for c in points.columns if c not in first]], {**names, **back}


def segments_table(source, pieces, analysed, segments: list, tasks: tuple, classifier_classes: tuple = (), likelihood: bool = False) -> pd.DataFrame:
    """One row per segment, per too-short piece and per track without a piece (module docstring);
    arguments as for points_table; `classifier_classes`: the segments carry classify_segments' columns
    for a classifier of these classes; `likelihood`: the segments carry refine_segments' columns."""
    track_values = source.table[source.names["track_id"]].to_numpy()
    row_values = _row_values(source.table)
    frame = source.canonical["frame"].to_numpy(np.int64)
    records = []
    for k, p in enumerate(analysed):
        rows = pieces.rows_of(p)
        piece_segments = segments[k]
        for s, (start, length) in enumerate(zip(piece_segments.starts, piece_segments.lengths)):
            head, tail = rows[start], rows[start + length - 1]
            record = {"_code": pieces.track_code[p], "track_id": track_values[head], "piece": pieces.piece_id[p],
                      "segment": s, "first_frame": frame[head], "last_frame": frame[tail], "length": int(length),
                      "first_row": row_values[head]}
            record.update({name: values[s] for name, values in piece_segments.values.items()})
            for name in ("first_frame_low", "first_frame_high"):  # a point of the piece -> its frame
                if name in record:
                    record[name] = frame[rows[int(record[name])]] if np.isfinite(record[name]) else pd.NA
            records.append(record | {"reason": ""})
    for p in np.flatnonzero(~pieces.analysed):
        rows = pieces.rows_of(p)
        records.append({"_code": pieces.track_code[p], "track_id": track_values[rows[0]],
                        "piece": pieces.piece_id[p], "segment": pd.NA, "first_frame": frame[rows[0]],
                        "last_frame": frame[rows[-1]], "length": int(pieces.length[p]),
                        "first_row": row_values[rows[0]], "reason": pieces.reason[rows[0]]})
    records += _tracks_without_pieces(pieces, track_values, row_values, frame)
    columns = _SEGMENT_POSITION + segment_columns("alpha" in tasks, "model" in tasks, likelihood) + ["reason"]
    columns[-1:-1] = classifier_columns(classifier_classes) if classifier_classes else []  # before "reason"
    return _records_table(records, columns)


def _tracks_without_pieces(pieces, track_values, row_values, frame) -> list:
    """One record per track none of whose rows made it into a piece (e.g. all positions missing)."""
    codes = pieces.code
    n_tracks = int(codes.max()) + 1 if codes.size else 0
    has_piece = np.zeros(n_tracks, bool)
    has_piece[pieces.track_code] = True
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
                        "reason": "; ".join(sorted(set(pieces.reason[rows])))})
    return records


def _records_table(records: list, columns: list) -> pd.DataFrame:
    """The segments table from its records, sorted by track, piece, segment, with stable dtypes."""
    if not records:
        return pd.DataFrame({c: [] for c in columns})
    table = pd.DataFrame.from_records(records)
    sort_piece = table["piece"].fillna(-1).astype(np.int64)
    sort_segment = table["segment"].fillna(-1).astype(np.int64)
    order = np.lexsort((sort_segment.to_numpy(), sort_piece.to_numpy(), table["_code"].to_numpy(np.int64)))
    table = table.iloc[order].reset_index(drop=True)
    for c in ("piece", "segment", "first_frame_low", "first_frame_high"):
        if c in table:
            table[c] = pd.array(table[c].tolist(), dtype="Int64")
    for c in ("first_frame", "last_frame", "length"):
        table[c] = table[c].astype(np.int64)
    for c in ("alpha", "alpha_clipped", "probability"):
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
    (``<stem>_track<track_id>_piece<piece>.png``, the id made safe for a file name by
    :func:`file_name_part`: positions, changepoints, alpha, probabilities against frame numbers), and
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


def file_name_part(value) -> str:
    """A track id as part of a file name: letters, digits, '.', '-' and '_' kept, anything else (a
    '/', a space, ':') replaced by '_'; when something was replaced, 8 hex digits of the id's hash
    follow, so that the ids "a/b" and "a_b" still get different files. At most 80 characters."""
    text = str(value)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")[:80]
    if safe == text and safe:
        return safe
    return f"{safe}-{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def _plot_outputs(points: pd.DataFrame, segments: pd.DataFrame, out_dir: Path, stem: str, max_plots: int) -> list:
    """Figures of the longest analysed pieces and a summary, via uandi.plot (imported only here).

    Changepoints come from the segments table: a piece's frames are consecutive, so a segment's first
    point lies first_frame - (the piece's first frame) points into the piece."""
    from . import plot

    meta = points.attrs.get("uandi", {})
    names = meta.get("columns", {})
    x_name, y_name = names.get("x", "x"), names.get("y", "y")
    track_name = names.get("track_id", "track_id")
    frame_name = names.get("frame") or None
    classes = tuple(meta.get("classes", ())) or tuple(c[2:] for c in points.columns if c.startswith("p_"))
    written = []
    analysed = segments[segments["reason"] == ""]
    by_piece = analysed.groupby(["track_id", "piece"], sort=False)
    pieces = by_piece["length"].sum().sort_values(ascending=False, kind="stable").head(max_plots)
    for track_id, piece in pieces.index:
        mask = ((points[track_name] == track_id).fillna(False).to_numpy(bool)  # Int64 ids may hold <NA>
                & (points["piece"] == piece).fillna(False).to_numpy(bool))
        rows = points[mask]
        if frame_name is not None:
            rows = rows.sort_values(frame_name, kind="stable")
        piece_segments = by_piece.get_group((track_id, piece))
        first_frames = np.sort(piece_segments["first_frame"].to_numpy(np.int64))
        alpha_se = None  # each point's segment's alpha_se, for the interval band
        if "alpha_se" in piece_segments and "segment" in rows:
            by_segment = dict(zip(piece_segments["segment"].tolist(), piece_segments["alpha_se"].tolist()))
            alpha_se = rows["segment"].map(by_segment).to_numpy(np.float64, na_value=np.nan)
        changepoints = first_frames[1:] - first_frames[0]
        proba = rows[[f"p_{c}" for c in classes]].to_numpy() if classes and "model" in rows else None
        path = out_dir / f"{stem}_track{file_name_part(track_id)}_piece{piece}.png"
        first_frame = int(first_frames[0])
        plot.track_figure(rows[[x_name, y_name]].to_numpy(np.float64), changepoints=changepoints,
                          alpha_pred=rows["alpha"].to_numpy() if "alpha" in rows else None, proba=proba,
                          alpha_segment=rows["segment_alpha"].to_numpy(np.float64) if "segment_alpha" in rows else None,
                          alpha_segment_se=alpha_se,
                          **({"classes": classes} if classes else {}),
                          title=f"track {track_id}, piece {piece}", path=path, first_frame=first_frame)
        written.append(path)
    path = out_dir / f"{stem}_summary.png"
    plot.summary_figure(analysed, path=path)  # segments only: too-short pieces would skew the lengths
    written.append(path)
    return written
