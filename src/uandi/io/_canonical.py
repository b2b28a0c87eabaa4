"""Column mapping and checks shared by every reader: a raw table in, the canonical long table out.

Canonical form: ``track_id, frame, x, y``, then the input's other columns unchanged, then ``row``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..notices import notify

CANONICAL_COLUMNS = ("track_id", "frame", "x", "y")

# Recognised file column names for each canonical column, matched case-insensitively; the first
# one present wins. Covers trackpy (particle), AnDi 2024 (traj_idx), saspt (trajectory), TrackMate.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": (
        "track_id", "trackid", "track", "traj_idx", "trajectory", "traj", "particle", "id",
    ),
    "frame": (
        "frame", "frames", "frame_idx", "frame_index", "frame_number", "framenumber", "frame_no", "t",
    ),
    "x": ("x", "position_x", "pos_x"),
    "y": ("y", "position_y", "pos_y"),
    # Only looked at to refuse 3D data; a constant z is 2D data and stays as an extra column.
    "z": ("z", "position_z", "pos_z"),
}

# Keys a user may put in ``columns=``; None for frame means "no frame column, number the points".
MAPPABLE_KEYS = tuple(COLUMN_ALIASES)
# Names that look like a time axis but are not frame aliases (``time`` in seconds, ``Frame_Time``,
# ``POSITION_T``, ImageJ's ``Slice``): never used as frames unasked, but when no frame column is
# recognised, rows out of their order are refused (see build_canonical).
_FRAME_LIKE = re.compile(r"frame|time|slice|^t$|^t[^a-z0-9]|[^a-z0-9]t$")
# Track ids written as plain integers ("7", "-2", not "07" or "7.0") are read as int64; any other
# text is kept as the exact string, so "1" and "01", or "2.1" and "2.10", stay different tracks.
_CANONICAL_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_OPTIONAL_KEYS = ("frame", "z")
# Output names an extra input column must not take; such a column gets the suffix "_input".
_RESERVED = (*CANONICAL_COLUMNS, "row")


def _fold(name) -> str:
    return str(name).strip().lower()


def _columns_hint() -> str:
    return (
        "name them with --columns track_id=particle,frame=t,x=x_um,y=y_um on the command line, or "
        "columns={'track_id': 'particle', 'frame': 't', 'x': 'x_um', 'y': 'y_um'} in Python"
    )


def mapping_hint(key: str, value: str | None) -> str:
    """How to map canonical ``key`` to file column ``value`` (None: no column), CLI and Python."""
    return f"--columns {key}={'' if value is None else value} (Python: columns={{{key!r}: {value!r}}})"


def resolve_columns(
    names: Sequence,
    columns: Mapping[str, str | None] | None,
    *,
    source: str,
    defaults: Mapping[str, str] | None = None,
) -> dict[str, object | None]:
    """Pick the file column for each of track_id, frame, x, y (and z, to refuse 3D data).

    Order of preference: the user's ``columns`` mapping, then the format's ``defaults`` (e.g.
    TrackMate's ``POSITION_X``), then :data:`COLUMN_ALIASES`. Exact names beat case-insensitive
    matches. Raises ValueError, before any data is read, when a required column is missing or
    only one coordinate column exists (1D data).
    """
    names = list(names)
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(MAPPABLE_KEYS), key=str)
    if unknown:
        raise ValueError(
            f"{source}: columns= has unknown key(s) {unknown}; the keys are canonical names "
            f"{list(MAPPABLE_KEYS)} and the values the file's column names"
        )
    by_folded: dict[str, list] = {}
    for name in names:
        by_folded.setdefault(_fold(name), []).append(name)

    claimed: set = set()

    def find(wanted):
        if wanted in names:
            return wanted
        hits = by_folded.get(_fold(wanted), [])
        if len(hits) > 1:
            raise ValueError(
                f"{source}: columns {hits} differ only in case, so {wanted!r} is ambiguous; "
                f"{_columns_hint()}"
            )
        return hits[0] if hits else None

    mapping: dict[str, object | None] = {}
    for key, wanted in columns.items():
        if wanted is None:
            if key not in _OPTIONAL_KEYS:
                raise ValueError(f"{source}: columns[{key!r}] cannot be None; {key} is required")
            mapping[key] = None
            continue
        found = find(wanted)
        if found is None:
            raise ValueError(
                f"{source}: columns= maps {key!r} to {wanted!r}, which is not a column of the "
                f"file; columns found: {names}"
            )
        if found in claimed:
            raise ValueError(f"{source}: columns= maps two canonical names to the column {found!r}")
        claimed.add(found)
        mapping[key] = found

    for key in MAPPABLE_KEYS:
        if key in mapping:
            continue
        candidates = [defaults[key]] if defaults and key in defaults else []
        candidates += COLUMN_ALIASES[key]
        mapping[key] = None
        for candidate in candidates:
            found = find(candidate)
            if found is not None and found not in claimed:
                claimed.add(found)
                mapping[key] = found
                break

    if (mapping["x"] is None) != (mapping["y"] is None):
        present, absent = ("x", "y") if mapping["x"] is not None else ("y", "x")
        raise ValueError(
            f"{source}: found the {present} column {mapping[present]!r} but no {absent} column; "
            f"only 2D tracks are supported. If the {absent} column has another name, pass "
            f"{mapping_hint(absent, '<its name>')}; columns found: {names}"
        )
    missing = [key for key in ("track_id", "x", "y") if mapping[key] is None]
    if missing:
        separator = _separator_hint(names)
        raise ValueError(
            f"{source}: required column(s) {missing} not found; columns found: {names}. "
            + separator
            + "Recognised names (case-insensitive): "
            + "; ".join(f"{key}: {', '.join(COLUMN_ALIASES[key])}" for key in missing)
            + f". Otherwise {_columns_hint()}"
        )
    if mapping["frame"] is None and "frame" not in columns:
        # No frame column: the points will be numbered in row order. Remember the columns that
        # look like a time axis, so build_canonical can refuse rows that are out of their order.
        mapping["frame_like"] = [
            name for name in names if name not in claimed and _FRAME_LIKE.search(_fold(name))
        ]
    return mapping


def _separator_hint(names: list) -> str:
    """A hint when the header was split at the wrong character (one column holding ';' etc.)."""
    for name in names:
        for separator, label in ((";", "semicolon"), ("\t", "tab"), ("|", "bar"), (",", "comma")):
            if separator in str(name):
                return (
                    f"The column name {str(name)!r} contains a {label}: the file may be "
                    f"{label}-separated; pass --delimiter '{separator}' (Python: "
                    f"delimiter={separator!r}). "
                )
    return ""


def _as_float(values: pd.Series, name, role: str, source: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(np.float64)
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any() or pd.api.types.is_bool_dtype(values):
        position = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        first = values.iloc[position]
        if isinstance(first, str) and re.fullmatch(r"\s*[-+]?[0-9]*,[0-9]+\s*", first):
            fix = ("The file seems to use decimal commas: save it with decimal points, or as a "
                   "semicolon-separated file (read with decimal commas)")
        else:
            fix = f"Fix the file or map another column with {mapping_hint(role, '<its name>')}"
        raise ValueError(
            f"{source}: the {role} column {name!r} holds non-numeric values (first: "
            f"{first!r} in data row {position}); {role} must be numbers. {fix}"
        )
    return converted.astype(np.float64)


def _as_frames(values: pd.Series, name, source: str) -> np.ndarray:
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        return values.to_numpy(dtype=np.int64)
    frames = _as_float(values, name, "frame", source).to_numpy()
    missing = np.flatnonzero(np.isnan(frames))
    if missing.size:
        raise ValueError(
            f"{source}: the frame column {name!r} has missing values (data rows "
            f"{missing[:5].tolist()}...); fill them, or pass {mapping_hint('frame', None)} to "
            f"number the points 0..n-1 in row order within each track"
        )
    # beyond 2**53 a float frame number is no longer exact, and inf has no integer value
    too_large = np.flatnonzero(~(np.abs(frames) < 2.0**53))
    if too_large.size:
        raise ValueError(
            f"{source}: the frame column {name!r} holds {float(frames[too_large[0]])!r} (data row "
            f"{too_large[0]}); frames must be finite integer frame numbers below 2**53"
        )
    fractional = np.flatnonzero(frames != np.round(frames))
    if fractional.size:
        raise ValueError(
            f"{source}: the frame column {name!r} holds non-integer values (e.g. "
            f"{float(frames[fractional[0]])!r}); frames are integer frame numbers. If it holds times, "
            f"divide by the frame interval first, or pass {mapping_hint('frame', None)} to "
            f"number the points 0..n-1 in row order within each track"
        )
    return frames.astype(np.int64)


def _tidy_track_ids(values: pd.Series) -> pd.Series:
    """Track ids as exact values: integer-valued float ids (MATLAB) become int64; text ids that are
    plain integers ("7", "-2") become int64 (Int64 when some are missing); any other text ("007",
    "2.10", "cell A") stays the exact string the file holds."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_float_dtype(values) and len(values):
        as_array = values.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(as_array)) and np.all(as_array == np.round(as_array)):
            return pd.Series(as_array.astype(np.int64))
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        present = values.notna()
        text = values[present]
        if len(text) and all(isinstance(v, str) and _CANONICAL_INT.fullmatch(v) for v in text):
            numbers = pd.array(np.zeros(len(values), np.int64), dtype="Int64")
            numbers[present.to_numpy()] = text.astype(np.int64).to_numpy()
            numbers[~present.to_numpy()] = pd.NA
            return pd.Series(numbers if not present.all() else numbers.astype(np.int64))
    return values


def _check_numbered_frames(table: pd.DataFrame, track_id: pd.Series, frame_like: list, source: str) -> None:
    """No frame column: refuse rows out of the order of a time-like column, otherwise tell the user
    that the points were numbered 0..n-1 in row order (which sees no gaps)."""
    for name in frame_like:
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(np.float64)
        order_known = np.isfinite(values)
        if not order_known.any():
            continue
        groups = pd.Series(values[order_known]).groupby(track_id[order_known].to_numpy(), sort=False)
        if (groups.diff() < 0).any():
            raise ValueError(
                f"{source}: no frame column was recognised, and the rows are not in the order of "
                f"the column {name!r}, which looks like time; numbering the points in row order "
                f"would analyse them out of time order. If {name!r} holds integer frame numbers, "
                f"pass {mapping_hint('frame', str(name))}; otherwise sort the rows by it within "
                f"each track"
            )
    used = f"the column(s) {frame_like} were not used as frames; " if frame_like else ""
    notify(
        f"{source}: no frame column recognised (names: {', '.join(COLUMN_ALIASES['frame'])}); "
        f"{used}the points of each track were numbered 0, 1, ... in row order, which assumes "
        f"the rows are in time order with no missing frames. If a column holds frame numbers, "
        f"pass {mapping_hint('frame', '<its name>')}"
    )


def build_canonical(
    table: pd.DataFrame,
    mapping: Mapping[str, object | None],
    *,
    source: str,
    row: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the canonical long table for ``table`` with columns picked by ``mapping``.

    ``row`` is each localisation's 0-based index in the input file; by default the table's row
    order. Rows are neither sorted nor dropped. Frames are synthesised as 0..n-1 in row order
    within each track when ``mapping['frame']`` is None.
    """
    table = table.reset_index(drop=True)
    z_name = mapping.get("z")
    if z_name is not None and table[z_name].nunique(dropna=True) > 1:
        raise ValueError(
            f"{source}: the z column {z_name!r} varies, so these are 3D tracks; only 2D tracks "
            f"are supported. Project them to 2D (drop z) first, or if {z_name!r} is not a "
            f"coordinate, pass {mapping_hint('z', None)}"
        )
    x = _as_float(table[mapping["x"]], mapping["x"], "x", source)
    y = _as_float(table[mapping["y"]], mapping["y"], "y", source)
    track_id = _tidy_track_ids(table[mapping["track_id"]])
    if len(table) == 0:
        notify(f"{source}: the table has a header but no data rows; the results will be empty")
    if mapping["frame"] is None:
        if "frame_like" in mapping and len(table):
            _check_numbered_frames(table, track_id, mapping["frame_like"], source)
        frame = track_id.groupby(track_id, sort=False, dropna=False).cumcount().to_numpy(np.int64)
    else:
        frame = _as_frames(table[mapping["frame"]], mapping["frame"], source)

    data: dict[str, object] = {"track_id": track_id, "frame": frame, "x": x, "y": y}
    used = {mapping[key] for key in CANONICAL_COLUMNS}
    for name in table.columns:
        if name in used:
            continue
        if name in _RESERVED:
            notify(f"{source}: the column {name!r} is kept as {name}_input; {name!r} is the "
                   f"name of a column uandi adds")
        data[f"{name}_input" if name in _RESERVED else name] = table[name]
    if row is None:
        row = np.arange(len(table), dtype=np.int64)
    data["row"] = np.asarray(row, dtype=np.int64)
    out = pd.DataFrame(data)
    # where the canonical columns came from, so that outputs can be written under the user's names
    out.attrs["input_columns"] = {"names": {k: mapping[k] for k in CANONICAL_COLUMNS},
                                  "order": [str(c) for c in table.columns]}
    return out
