"""Read single-particle-tracking files into one canonical long table, and write result tables.

Canonical table (one row per localisation, in the file's order; nothing sorted, dropped or
deduplicated - the analysis layer decides what to do with odd rows):

========== ======= ==============================================================================
column     dtype   meaning
========== ======= ==============================================================================
track_id   as read the file's track ids (integer-valued float ids, e.g. from MATLAB, become int64)
frame      int64   frame number; synthesised as 0..n-1 in row order within each track when the
                   file has no frame column (MATLAB, AnDi 2020 txt, a CSV without one)
x, y       float64 positions in the file's units (typically pixels or µm)
...        as read the file's other columns, unchanged and in file order (one named track_id,
                   frame, x, y or row after mapping gets the suffix ``_input``)
row        int64   0-based index of the localisation in the file (data rows for tables; the
                   running point index for AnDi txt, .npy and TrackMate XML), so results can be
                   written back in the input's order
========== ======= ==============================================================================

Formats (``format=``; None picks it from the extension, sniffing .csv and .txt). Text formats may
be compressed (``tracks.csv.gz``, ``.bz2``, ``.xz``: read as the format of the inner name).

- ``csv``, ``tsv``, ``parquet``: tables with named columns (see column names below). A .csv file's
  field separator is guessed from its header (comma, semicolon, tab or bar; a semicolon file with
  decimal commas is read as such, with a notice), or given with ``delimiter=``.
- ``trackmate-csv``: TrackMate spots table (header with TRACK_ID, POSITION_X, ...; one header
  line in TrackMate < 7, four in TrackMate >= 7).
- ``trackmate-xml``: TrackMate "Export tracks to XML" (``<Tracks><particle><detection t= x= y=
  z=/>``); track_id is the particle's index in the file, frame is ``t``. Units given in the file
  are kept in ``DataFrame.attrs`` (space_units, time_units, frame_interval).
- ``andi-txt``: AnDi 2020 challenge file, one trajectory per line ``dim;x1;...;xn;y1;...;yn``;
  track_id is the 0-based index of the (non-blank) line, frames 0..n-1.
- ``mat``: MATLAB v5 file with one numeric (n, 3) matrix, columns x, y, track id; rows of a track
  are consecutive and in time order. Several such matrices: choose with
  ``columns={"variable": "name"}``. MATLAB v7.3 (HDF5) is refused: re-save with ``-v7``.
- ``npy``: NumPy (N, L, 2) array, N tracks of L points (x, y); NaN points are kept.

Column names for tables (``columns=`` maps canonical names to the file's, e.g.
``{"track_id": "particle", "frame": "t"}``, on the command line ``--columns track_id=particle,frame=t``;
``{"frame": None}`` (``--columns frame=``) ignores a frame column and numbers the points;
``{"z": None}`` says no column is z). Otherwise the first present of these aliases is used, matched
case-insensitively (:data:`COLUMN_ALIASES`):

- track_id: track_id, trackid, track, traj_idx (AnDi 2024), trajectory (saspt), traj,
  particle (trackpy), id. Ids are kept as the exact values the file holds: text that is a plain
  integer ("7") becomes int64, any other text ("007", "2.10", "cell A") stays a string, so "1" and
  "01" are different tracks.
- frame: frame, frames, frame_idx, frame_index, frame_number, framenumber, frame_no, t. Without
  one, the points are numbered in row order within each track and a
  :class:`~uandi.notices.UandiNotice` says so; if a column that looks like time (``time``,
  ``Frame_Time``, ``POSITION_T``, ...) is present and the rows are not in its order within a
  track, the file is refused rather than analysed out of order.
- x: x, position_x, pos_x;  y: y, position_y, pos_y  (matched by name, never by position)
- z: z, position_z, pos_z - only 2D tracks are supported: a varying z is refused, a constant z
  (2D data) is kept as an extra column.

Bad input (missing file, unknown format, missing columns, 1D or 3D tracks, non-numeric
coordinates) raises ValueError saying what is wrong and how to fix it, before the data is parsed
where the header allows. Parquet needs the optional ``pyarrow`` package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ._canonical import CANONICAL_COLUMNS, COLUMN_ALIASES, build_canonical, resolve_columns
from ._formats import (
    DELIMITED_FORMATS,
    FORMATS,
    READERS,
    check_compression,
    require_pyarrow,
    sniff_format,
)

__all__ = ["CANONICAL_COLUMNS", "COLUMN_ALIASES", "FORMATS", "canonical_tracks", "read_tracks", "write_table"]

_WRITE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


def read_tracks(
    path: str | os.PathLike,
    format: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    delimiter: str | None = None,
) -> pd.DataFrame:
    """Read a track file into the canonical long table (see the module docstring).

    Parameters
    ----------
    path : file to read.
    format : one of :data:`FORMATS`; None picks it from the extension (.csv and .txt are
        sniffed for TrackMate spots CSV and AnDi 2020 txt).
    columns : canonical name -> file column name, for tables whose names the aliases miss;
        for .mat files ``{"variable": name}`` picks the matrix.
    delimiter : field separator of a csv, tsv or TrackMate CSV file (e.g. ``";"``); None guesses
        a .csv file's from its header (a notice says when it is not a comma).

    Returns
    -------
    DataFrame with ``track_id, frame, x, y``, the file's other columns, and ``row``. Positions
    are in the file's units (pixels or µm), time in frames.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise ValueError(f"{path}: not a file; pass the path of a track file")
    if columns is not None and not isinstance(columns, Mapping):
        raise ValueError(
            f"columns= must be a dict mapping canonical names to file column names, e.g. "
            f"{{'track_id': 'particle'}}; got {type(columns).__name__}"
        )
    if format is None:
        format = sniff_format(path)
    elif format not in READERS:
        raise ValueError(f"unknown format {format!r}; use one of {list(FORMATS)} or None")
    else:
        check_compression(path, format)
    options = {}
    if delimiter is not None:
        if format not in DELIMITED_FORMATS:
            raise ValueError(
                f"{path}: a delimiter applies to {list(DELIMITED_FORMATS)} files, not to the "
                f"{format} format; leave it out"
            )
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
            raise ValueError(
                f"delimiter must be one character such as ',' ';' or a tab, not a quote or line "
                f"break; got {delimiter!r}"
            )
        options["delimiter"] = delimiter
    tracks = READERS[format](path, columns, **options)
    tracks.attrs.update({"format": format, "source": str(path)})
    return tracks


def canonical_tracks(table: pd.DataFrame, columns: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """The canonical long table of a DataFrame already in memory, by the readers' rules and checks
    (column aliases and ``columns=``, 1D and varying-z refusal, numeric coordinates, integer frames,
    frames numbered in row order within a track when there is no frame column). ``row`` is each row's
    position 0..n-1; ``attrs["input_columns"]`` says which of the table's columns became which."""
    mapping = resolve_columns(list(table.columns), columns, source="DataFrame")
    return build_canonical(table, mapping, source="DataFrame")


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` without its index: .csv (comma), .tsv (tab) or .parquet/.pq, by extension.

    The folder must exist; Parquet needs pyarrow.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _WRITE_SUFFIXES:
        raise ValueError(
            f"{path}: cannot tell the output format from the extension {suffix!r}; use one of "
            f"{list(_WRITE_SUFFIXES)}"
        )
    if not path.parent.is_dir():
        raise ValueError(f"{path}: the folder {path.parent} does not exist; create it first")
    if suffix in (".parquet", ".pq"):
        require_pyarrow()
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
