"""Tracks in, pieces out: positions, a DataFrame or a file become one canonical table, and the plan of
which of its rows form which piece (one regularly sampled trajectory that a network sees).

    positions = as_tracks(x)                        # checked (L_i, 2) arrays from (N, L, 2) or a list
    tracks = read_input("tracks.csv")               # the user's table, the canonical one, column names
    pieces = plan_pieces(tracks.canonical, min_length=20)

Units: positions in the input's units (pixels or µm), time in frames, lengths in points.

What happens to each input row (nothing is ever dropped: every row keeps its place and gets a reason
when it is not analysed):

1. Rows are sorted by (track_id, frame) for the analysis only; the input's order is kept for output.
2. A row with a missing track id gets ``reason = "missing track id"`` (it belongs to no track).
3. A row whose x or y is NaN or infinite gets ``reason = "missing position"``; it is not used, and
   the track is split there exactly as at a gap in the frames (step 5).
4. Rows sharing (track_id, frame): the first one in input order with a finite position is analysed;
   the others get ``reason = "duplicate frame"`` (if none is finite, the first gets "missing
   position" and the others "duplicate frame").
5. The analysed rows of a track are cut into *pieces* of consecutive frames (frame step exactly 1):
   a jump in frame numbers, or a missing position, starts a new piece. Pieces are numbered 0, 1, ...
   in frame order within each track. Each piece is analysed as a separate trajectory (the networks
   assume a regular time step, so they never see a gap). Rows of steps 2-4 are in no piece.
6. A piece shorter than ``min_length`` points keeps its piece id but is not analysed:
   ``reason = "too short (n < min_length)"`` (with the numbers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .constants import MIN_TRACK_LENGTH
from .io import CANONICAL_COLUMNS, canonical_tracks, read_tracks

__all__ = ["Pieces", "TrackTable", "as_tracks", "plan_pieces", "read_input", "table_from_positions"]


def as_tracks(x, min_length: int = MIN_TRACK_LENGTH, finite: bool = True) -> tuple[list, bool]:
    """Check positions and return (list of (L_i, 2) float64 arrays, whether x was one array).

    x : (N, L, 2) array (numpy, or anything numpy can read, such as a CPU torch tensor) or a list of
        (L_i, 2) arrays; positions in any unit.
    min_length : fewest points per track. finite : refuse NaN and infinite positions.
    """
    if isinstance(x, (list, tuple)):
        tracks, was_array = [np.asarray(t, dtype=np.float64) for t in x], False
        for i, t in enumerate(tracks):
            if t.ndim != 2 or t.shape[1] != 2:
                raise ValueError(f"track {i} has shape {t.shape}; each track must be (L, 2): "
                                 "only 2D tracks are supported")
    elif isinstance(x, np.ndarray) or hasattr(x, "__array__"):
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 2 and arr.shape[-1] == 2:
            raise ValueError("positions must be (N, L, 2); for one track of shape (L, 2) pass x[None] or [x]")
        if arr.ndim != 3 or arr.shape[-1] != 2:
            raise ValueError(
                f"positions must have shape (N, L, 2) (N tracks, L points, x and y); got {arr.shape}. "
                "Only 2D tracks are supported."
            )
        tracks, was_array = list(arr), True
    else:
        raise TypeError(f"positions must be a numpy array (N, L, 2) or a list of (L, 2) arrays, got {type(x).__name__}")
    if not tracks:
        raise ValueError("no tracks given")
    for i, t in enumerate(tracks):
        if len(t) < min_length:
            raise ValueError(f"track {i} has {len(t)} points; at least {min_length} are needed for a prediction")
        if finite and not np.all(np.isfinite(t)):
            raise ValueError(f"track {i} contains NaN or inf positions; remove or interpolate them first")
    return tracks, was_array


def table_from_positions(x) -> pd.DataFrame:
    """A long track table from positions (N, L, 2) or a list of (L_i, 2) arrays: ``track_id`` (the
    track's index in x), ``frame`` (0 .. L_i - 1), ``x``, ``y``. NaN positions are kept; like a
    table's, they split their track."""
    tracks, _ = as_tracks(x, min_length=1, finite=False)
    lengths = [len(t) for t in tracks]
    xy = np.concatenate(tracks)  # (sum L_i, 2)
    return pd.DataFrame({"track_id": np.repeat(np.arange(len(tracks), dtype=np.int64), lengths),
                         "frame": np.concatenate([np.arange(n, dtype=np.int64) for n in lengths]),
                         "x": xy[:, 0], "y": xy[:, 1]})


@dataclass(frozen=True, eq=False)
class TrackTable:
    """The input, read once: what to give back, what to analyse, and which column is which."""

    table: pd.DataFrame  # the rows and columns to return, results added (a file: as read_tracks reads it)
    canonical: pd.DataFrame  # the same rows in the same order: track_id, frame, x, y, ..., row
    names: dict  # canonical name -> the column of `table` holding it (frame: None when numbered)
    file_columns: dict | None  # a file's own column names and order, to write results under them


def read_input(tracks, columns=None, format: str | None = None, delimiter: str | None = None) -> TrackTable:
    """Read a track file (uandi.io.read_tracks), a DataFrame (uandi.io.canonical_tracks: the same
    column rules and checks) or positions (table_from_positions) into a TrackTable."""
    identity = {name: name for name in CANONICAL_COLUMNS}
    if isinstance(tracks, (str, os.PathLike)):
        table = read_tracks(tracks, format=format, columns=columns, delimiter=delimiter)
        return TrackTable(table, table, identity, table.attrs.get("input_columns"))
    if format is not None or delimiter is not None:
        raise ValueError("format= and delimiter= are for reading files; "
                         "leave them out when passing a table or positions")
    if isinstance(tracks, pd.DataFrame):  # a header-only table gives empty results, as a header-only file does
        canonical = canonical_tracks(tracks, columns)
        return TrackTable(tracks, canonical, dict(canonical.attrs["input_columns"]["names"]), None)
    if isinstance(tracks, (list, tuple, np.ndarray)) or hasattr(tracks, "__array__"):
        if columns is not None:
            raise ValueError("columns= names a table's columns; leave it out when passing positions")
        table = table_from_positions(tracks)
        return TrackTable(table, table.assign(row=np.arange(len(table), dtype=np.int64)), identity, None)
    raise TypeError("segment() takes a track file path, a pandas DataFrame, or positions (an (N, L, 2) array "
                    f"or a list of (L_i, 2) arrays); got {type(tracks).__name__}")


@dataclass(frozen=True, eq=False)
class Pieces:
    """Which rows of a canonical track table form which piece: the analysis plan.

    Row arrays follow the table's rows (input order); piece arrays follow the pieces, sorted by track
    and then frame. Piece p is the rows ``rows[start[p] : start[p] + length[p]]``, in frame order.
    """

    code: np.ndarray  # (n_rows,) int64 track number, increasing with the track id; -1: missing id
    reason: np.ndarray  # (n_rows,) object: "" for an analysed row, else why it is not analysed
    piece: np.ndarray  # (n_rows,) int64 piece id within the row's track; -1: in no piece
    xy: np.ndarray  # (n_rows, 2) float64 positions
    rows: np.ndarray  # (n_rows_in_pieces,) int64 rows in pieces, sorted by (track, frame)
    start: np.ndarray  # (n_pieces,) int64 first index into `rows` of each piece
    length: np.ndarray  # (n_pieces,) int64 points per piece
    track_code: np.ndarray  # (n_pieces,) int64 track number of each piece
    piece_id: np.ndarray  # (n_pieces,) int64 piece id within its track: 0, 1, ...
    analysed: np.ndarray  # (n_pieces,) bool: at least min_length points

    def rows_of(self, p: int) -> np.ndarray:
        """Rows of piece p in frame order, int64 (length[p],)."""
        return self.rows[self.start[p] : self.start[p] + self.length[p]]

    def positions(self, p: int) -> np.ndarray:
        """Positions of piece p in frame order, float64 (length[p], 2)."""
        return self.xy[self.rows_of(p)]


def _factorize_tracks(track_id: pd.Series) -> np.ndarray:
    """Integer code per row (-1: missing id), increasing with the id where ids can be ordered."""
    try:
        codes, _ = pd.factorize(track_id, sort=True)
    except TypeError:  # ids of mixed types cannot be ordered; order of first appearance then
        codes, _ = pd.factorize(track_id, sort=False)
    return np.asarray(codes, dtype=np.int64)


def plan_pieces(canonical: pd.DataFrame, min_length: int) -> Pieces:
    """Reasons for odd rows and the pieces (steps 1-6 of the module docstring), all vectorised
    (265k rows in well under a second)."""
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

    used = order[reason[order] == ""]  # rows in pieces, sorted by (track, frame)
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
    return Pieces(code=codes, reason=reason, piece=piece, xy=xy, rows=used, start=starts, length=lengths,
                  track_code=piece_codes, piece_id=piece_ids, analysed=~short)
