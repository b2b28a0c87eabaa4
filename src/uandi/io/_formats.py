"""One reader per file format; each parses the file and hands a raw table to ``build_canonical``."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..notices import notify
from ._canonical import build_canonical, resolve_columns

FORMATS = ("csv", "tsv", "parquet", "trackmate-csv", "trackmate-xml", "andi-txt", "mat", "npy")

_BY_SUFFIX = {
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xml": "trackmate-xml",
    ".mat": "mat",
    ".npy": "npy",
}
_SNIFFED_SUFFIXES = (".csv", ".txt")
# Compressed text files are read as the format of the name without the compression suffix
# (tracks.csv.gz is a csv); binary formats must be decompressed first.
_COMPRESSIONS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_TEXT_FORMATS = ("csv", "tsv", "trackmate-csv", "trackmate-xml", "andi-txt")
DELIMITED_FORMATS = ("csv", "tsv", "trackmate-csv")
# Field separators tried when a .csv file's separator is not given: the one that splits the header
# into the most fields wins, comma on ties (European spreadsheets write semicolons).
_SEPARATORS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"[-+]?[0-9]*,[0-9]+([eE][-+]?[0-9]+)?")

# TrackMate spots-table feature keys, preferred over the generic aliases for that format.
_TRACKMATE_COLUMNS = {
    "track_id": "TRACK_ID",
    "frame": "FRAME",
    "x": "POSITION_X",
    "y": "POSITION_Y",
    "z": "POSITION_Z",
}
# TrackMate >= 7 writes 3 more header lines (names, short names, units) under the feature keys.
_TRACKMATE_MAX_EXTRA_HEADERS = 3


def require_pyarrow():
    """Import pyarrow.parquet on first use: Parquet is an optional extra."""
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(
            "reading or writing Parquet files needs pyarrow: pip install pyarrow "
            "(or pip install 'uandi[parquet]')"
        ) from err
    return pq


def compression_of(path: Path) -> str | None:
    """The compression suffix of ``path`` (".gz", ".bz2", ".xz") or None."""
    suffix = path.suffix.lower()
    return suffix if suffix in _COMPRESSIONS else None


def format_suffix(path: Path) -> str:
    """The suffix that names the format: ".csv" for both tracks.csv and tracks.csv.gz."""
    if compression_of(path):
        return Path(path.stem).suffix.lower()
    return path.suffix.lower()


def open_binary(path: Path):
    """The file's bytes, decompressed if its name ends in .gz, .bz2 or .xz."""
    compression = compression_of(path)
    return _COMPRESSIONS[compression](path, "rb") if compression else open(path, "rb")


def open_text(path: Path, errors: str = "strict"):
    """The file as text (UTF-8, a byte-order mark skipped), decompressed by its suffix."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors=errors, newline="")


def _lines(path: Path, count: int) -> list[str]:
    """The first ``count`` non-blank lines, stripped (invalid bytes replaced)."""
    source = str(path)
    lines: list[str] = []
    try:
        with open_text(path, errors="replace") as handle:
            for line in handle:
                if line.strip():
                    lines.append(line.strip())
                    if len(lines) == count:
                        break
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise ValueError(f"{source}: cannot read or decompress the file: {err}") from err
    return lines


def _first_line(path: Path) -> str:
    lines = _lines(path, 1)
    return lines[0] if lines else ""


def _is_trackmate_header(line: str) -> bool:
    fields = {field.strip() for field in next(csv.reader([line]), [])}
    return {"TRACK_ID", "POSITION_X"} <= fields


def _is_andi_line(line: str) -> bool:
    fields = line.rstrip(";").split(";")
    if len(fields) < 2:
        return False
    try:
        numbers = [float(field) for field in fields]
    except ValueError:
        return False
    return numbers[0] in (1.0, 2.0, 3.0)


def sniff_format(path: Path) -> str:
    """Format name from the extension; .csv and .txt are told apart by their first line.
    A compressed file (.gz, .bz2, .xz) is named by the suffix before the compression's."""
    suffix = format_suffix(path)
    if suffix in _BY_SUFFIX:
        fmt = _BY_SUFFIX[suffix]
        check_compression(path, fmt)
        return fmt
    if suffix in _SNIFFED_SUFFIXES:
        line = _first_line(path)
        if _is_trackmate_header(line):
            return "trackmate-csv"
        if _is_andi_line(line):
            return "andi-txt"
        if suffix == ".csv" or ("," in line and "\t" not in line):
            return "csv"
        if "\t" in line:
            return "tsv"
    raise ValueError(
        f"{path}: cannot tell the file format from the extension {suffix!r} and first line; "
        f"pass --format (Python: format=), one of {list(FORMATS)}"
    )


def check_compression(path: Path, fmt: str) -> None:
    """Refuse a compressed file of a binary format, which is read from the disk directly."""
    if compression_of(path) and fmt not in _TEXT_FORMATS:
        raise ValueError(
            f"{path}: a compressed {fmt} file cannot be read directly; decompress it first "
            f"(e.g. gunzip {path.name}). Compressed csv, tsv, txt and xml files are read as they are"
        )


def sniff_delimiter(path: Path, source: str) -> tuple[str, str]:
    """(field separator, decimal mark) of a delimited text file, from its first lines.

    The separator that splits the header line into the most fields wins (comma on ties); a
    semicolon-separated file whose numbers have decimal commas ("1,5") is read with decimal ",".
    Anything but a plain comma-separated file is reported with a notice.
    """
    lines = _lines(path, 21)
    if not lines:
        return ",", "."
    counts = [len(next(csv.reader([lines[0]], delimiter=sep), [])) for sep in _SEPARATORS]
    separator = _SEPARATORS[int(np.argmax(counts))]
    decimal = "."
    if separator == ";" and any(
        _DECIMAL_COMMA.fullmatch(field.strip())
        for line in lines[1:]
        for field in next(csv.reader([line], delimiter=";"), [])
    ):
        decimal = ","
    if separator != ",":
        names = {";": "semicolon", "\t": "tab", "|": "bar"}
        comma = " with decimal commas" if decimal == "," else ""
        notify(
            f"{source}: read as a {names[separator]}-separated table{comma} (guessed from the "
            f"header); pass --delimiter (Python: delimiter=) if that is wrong"
        )
    return separator, decimal


def _reject_columns(columns, fmt: str, source: str) -> None:
    if columns:
        raise ValueError(
            f"{source}: columns= does not apply to the {fmt} format, whose layout is fixed; "
            f"leave it out"
        )


def _read_csv(path: Path, source: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"{source}: the file is empty") from err
    except pd.errors.ParserError as err:
        raise ValueError(f"{source}: cannot parse as a delimited table: {err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{source}: not UTF-8 text ({err.reason} at byte {err.start}); a track table must be "
            f"a text file: save it as UTF-8 CSV"
        ) from err
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise ValueError(f"{source}: cannot read or decompress the file: {err}") from err


def _read_delimited(path: Path, columns, sep: str, source: str, decimal: str = ".") -> pd.DataFrame:
    names = _read_csv(path, source, sep=sep, nrows=0).columns
    mapping = resolve_columns(names, columns, source=source)
    # Track ids are read as text: "1" and "01", or "2.1" and "2.10", stay different tracks.
    table = _read_csv(path, source, sep=sep, decimal=decimal, dtype={mapping["track_id"]: str})
    return build_canonical(table, mapping, source=source)


def read_csv(path: Path, columns, delimiter: str | None = None) -> pd.DataFrame:
    source = f"{path} (csv)"
    sep, decimal = (delimiter, ".") if delimiter else sniff_delimiter(path, source)
    return _read_delimited(path, columns, sep, source, decimal)


def read_tsv(path: Path, columns, delimiter: str | None = None) -> pd.DataFrame:
    return _read_delimited(path, columns, delimiter or "\t", f"{path} (tsv)")


def read_parquet(path: Path, columns) -> pd.DataFrame:
    source = f"{path} (parquet)"
    pq = require_pyarrow()
    try:
        names = pq.read_schema(path).names
    except Exception as err:  # pyarrow raises its own ArrowInvalid for non-Parquet files
        raise ValueError(f"{source}: not a readable Parquet file: {err}") from err
    mapping = resolve_columns(names, columns, source=source)
    table = pd.read_parquet(path)
    # A named pandas index (e.g. trackpy's frame index) is data: make it a column again.
    if any(name is not None for name in table.index.names):
        table = table.reset_index()
    return build_canonical(table, mapping, source=source)


def _trackmate_extra_header_lines(path: Path, source: str, sep: str) -> tuple[list[str], int]:
    with open_text(path, errors="replace") as handle:
        reader = csv.reader(handle, delimiter=sep)
        header = next(reader, [])
        if not {"TRACK_ID", "POSITION_X"} <= set(header):
            raise ValueError(
                f"{source}: not a TrackMate spots CSV (its header has no TRACK_ID and POSITION_X "
                f"columns); pass format='csv' for a plain table"
            )
        x_index = header.index("POSITION_X")
        extra = 0
        for fields in reader:
            if extra == _TRACKMATE_MAX_EXTRA_HEADERS:
                break
            try:
                float(fields[x_index])
            except (ValueError, IndexError):
                extra += 1
                continue
            break
    return header, extra


def read_trackmate_csv(path: Path, columns, delimiter: str | None = None) -> pd.DataFrame:
    source = f"{path} (trackmate-csv)"
    sep = delimiter or ","
    try:
        header, extra = _trackmate_extra_header_lines(path, source, sep)
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise ValueError(f"{source}: cannot read or decompress the file: {err}") from err
    mapping = resolve_columns(header, columns, source=source, defaults=_TRACKMATE_COLUMNS)
    table = _read_csv(path, source, sep=sep, skiprows=range(1, 1 + extra),
                      dtype={mapping["track_id"]: str})
    return build_canonical(table, mapping, source=source)


def read_trackmate_xml(path: Path, columns) -> pd.DataFrame:
    source = f"{path} (trackmate-xml)"
    _reject_columns(columns, "trackmate-xml", source)
    track_ids: list[int] = []
    values: dict[str, list[str]] = {"t": [], "x": [], "y": [], "z": []}
    root = None
    attributes: dict[str, str] = {}
    particle = -1
    handle = None
    try:
        handle = open_binary(path)
        # iterparse + clearing finished particles keeps memory flat on large exports.
        for event, element in ET.iterparse(handle, events=("start", "end")):
            if root is None:
                root = element
                attributes = dict(root.attrib)
                if root.tag != "Tracks":
                    hint = (
                        " This looks like a TrackMate session file; in TrackMate use "
                        "'Export tracks to XML' or export the spots table to CSV."
                        if root.tag == "TrackMate"
                        else ""
                    )
                    raise ValueError(
                        f"{source}: expected a TrackMate tracks XML with root <Tracks>, found "
                        f"<{root.tag}>.{hint}"
                    )
                continue
            if event == "start" and element.tag == "particle":
                particle += 1
            elif event == "start" and element.tag == "detection":
                try:
                    for key in ("t", "x", "y"):
                        values[key].append(element.attrib[key])
                except KeyError as err:
                    raise ValueError(
                        f"{source}: detection {len(track_ids)} lacks the attribute {err}; each "
                        f"<detection> needs t, x and y"
                    ) from None
                values["z"].append(element.attrib.get("z"))
                track_ids.append(particle)
            elif event == "end" and element.tag == "particle":
                root.clear()
    except ET.ParseError as err:
        raise ValueError(f"{source}: not valid XML: {err}") from err
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise ValueError(f"{source}: cannot read or decompress the file: {err}") from err
    finally:
        if handle is not None:
            handle.close()
    if root is None:
        raise ValueError(f"{source}: the file is empty")
    table = pd.DataFrame(
        {
            "track_id": np.asarray(track_ids, dtype=np.int64),
            "frame": pd.Series(values["t"], dtype=object),
            "x": pd.Series(values["x"], dtype=object),
            "y": pd.Series(values["y"], dtype=object),
        }
    )
    z = pd.to_numeric(pd.Series(values["z"], dtype=object), errors="coerce")
    if z.notna().any():  # keep z (constant for 2D data) as an extra column only if written
        table["z"] = z.astype(np.float64)
    mapping = {"track_id": "track_id", "frame": "frame", "x": "x", "y": "y"}
    mapping["z"] = "z" if "z" in table else None
    tracks = build_canonical(table, mapping, source=source)
    tracks.attrs.update(
        {
            key: attributes[xml_key]
            for key, xml_key in (
                ("space_units", "spaceUnits"),
                ("time_units", "timeUnits"),
                ("frame_interval", "frameInterval"),
            )
            if xml_key in attributes
        }
    )
    return tracks


def read_andi_txt(path: Path, columns) -> pd.DataFrame:
    """AnDi 2020 challenge file: one trajectory per line, ``dim;x1;...;xn;y1;...;yn``."""
    source = f"{path} (andi-txt)"
    _reject_columns(columns, "andi-txt", source)
    try:
        with open_text(path, errors="replace") as handle:
            lines = [(number, line.strip().rstrip(";")) for number, line in enumerate(handle, 1)]
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise ValueError(f"{source}: cannot read or decompress the file: {err}") from err
    lines = [(number, line) for number, line in lines if line]
    # Check every line's dimension before parsing any coordinates.
    for number, line in lines:
        head = line.split(";", 1)[0]
        try:
            dim = float(head)
        except ValueError:
            raise ValueError(
                f"{source}: line {number} does not start with a number (found {head!r}); an AnDi "
                f"2020 file has lines 'dim;x1;...;xn;y1;...;yn'"
            ) from None
        if dim != 2.0:
            raise ValueError(
                f"{source}: line {number} holds a {dim:g}D trajectory; only 2D tracks are "
                f"supported. Keep only the lines whose first number is 2"
            )
    track_ids, xs, ys = [], [], []
    for track_id, (number, line) in enumerate(lines):
        try:
            numbers = np.array(line.split(";")[1:], dtype=np.float64)
        except ValueError:
            raise ValueError(f"{source}: line {number} holds non-numeric values") from None
        if numbers.size % 2:
            raise ValueError(
                f"{source}: line {number} has {numbers.size} coordinates, an odd number; a 2D "
                f"line holds n x values then n y values"
            )
        half = numbers.size // 2
        xs.append(numbers[:half])
        ys.append(numbers[half:])
        track_ids.append(np.full(half, track_id, dtype=np.int64))
    table = pd.DataFrame(
        {
            "track_id": np.concatenate(track_ids) if track_ids else np.empty(0, np.int64),
            "x": np.concatenate(xs) if xs else np.empty(0),
            "y": np.concatenate(ys) if ys else np.empty(0),
        }
    )
    mapping = {"track_id": "track_id", "frame": None, "x": "x", "y": "y", "z": None}
    return build_canonical(table, mapping, source=source)


def _describe_variables(contents: Mapping[str, object]) -> str:
    return ", ".join(
        f"{name} {getattr(value, 'shape', type(value).__name__)}"
        for name, value in contents.items()
        if not name.startswith("__")
    )


def _is_track_matrix(value) -> bool:
    return (
        isinstance(value, np.ndarray)
        and value.ndim == 2
        and value.shape[1] == 3
        and (np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating))
    )


def read_mat(path: Path, columns) -> pd.DataFrame:
    """MATLAB v5 file holding an (n, 3) matrix with columns x, y, track id."""
    from scipy.io import loadmat
    from scipy.io.matlab import matfile_version

    source = f"{path} (mat)"
    columns = dict(columns or {})
    variable = columns.pop("variable", None)
    if columns:
        raise ValueError(
            f"{source}: for .mat files columns= accepts only {{'variable': '<name>'}} (the "
            f"matrix's columns are fixed: x, y, track id); got keys {sorted(columns)}"
        )
    try:
        major, _ = matfile_version(str(path))
    except Exception as err:  # scipy raises MatReadError or ValueError for non-MAT files
        raise ValueError(f"{source}: not a readable MATLAB file: {err}") from err
    if major == 2:
        raise ValueError(
            f"{source}: MATLAB v7.3 (HDF5) files are not supported; in MATLAB re-save with "
            f"save('file.mat', 'tr', '-v7')"
        )
    contents = loadmat(str(path))
    if variable is not None:
        if variable not in contents or variable.startswith("__"):
            raise ValueError(
                f"{source}: no variable {variable!r}; variables: {_describe_variables(contents)}"
            )
        candidates = [variable]
    else:
        candidates = [
            name
            for name, value in contents.items()
            if not name.startswith("__") and _is_track_matrix(value)
        ]
    if len(candidates) > 1:
        raise ValueError(
            f"{source}: several (n, 3) matrices {candidates}; choose one with "
            f"read_tracks(path, columns={{'variable': '<name>'}})"
        )
    if not candidates or not _is_track_matrix(contents[candidates[0]]):
        raise ValueError(
            f"{source}: expected a numeric (n, 3) matrix with columns x, y, track id; "
            f"variables: {_describe_variables(contents)}. A (3, n) matrix must be transposed "
            f"and 3D tracks are not supported"
        )
    matrix = np.asarray(contents[candidates[0]], dtype=np.float64)  # (n, 3): x, y, track id
    table = pd.DataFrame({"track_id": matrix[:, 2], "x": matrix[:, 0], "y": matrix[:, 1]})
    mapping = {"track_id": "track_id", "frame": None, "x": "x", "y": "y", "z": None}
    return build_canonical(table, mapping, source=source)


def read_npy(path: Path, columns) -> pd.DataFrame:
    """(N, L, 2) array: N tracks of L points; NaN points are kept."""
    source = f"{path} (npy)"
    _reject_columns(columns, "npy", source)
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise ValueError(
            f"{source}: cannot load without pickle (object arrays are refused for safety): {err}; "
            f"save a numeric (N, L, 2) array"
        ) from err
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{source}: expected a single array, found {type(array).__name__}")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{source}: coordinates must be numbers, found dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] in (1, 3):
        raise ValueError(
            f"{source}: shape {array.shape} holds {array.shape[2]}D tracks; only 2D tracks are "
            f"supported, as an (N, L, 2) array"
        )
    if array.ndim != 3 or array.shape[2] != 2:
        hint = " (one track? use array[None])" if array.ndim == 2 and array.shape[1] == 2 else ""
        raise ValueError(
            f"{source}: expected an (N, L, 2) array of N tracks of L points (x, y), found shape "
            f"{array.shape}{hint}"
        )
    n_tracks, length, _ = array.shape
    table = pd.DataFrame(
        {
            "track_id": np.repeat(np.arange(n_tracks, dtype=np.int64), length),
            "frame": np.tile(np.arange(length, dtype=np.int64), n_tracks),
            "x": array[:, :, 0].reshape(-1),  # (N * L,)
            "y": array[:, :, 1].reshape(-1),
        }
    )
    mapping = {"track_id": "track_id", "frame": "frame", "x": "x", "y": "y", "z": None}
    return build_canonical(table, mapping, source=source)


READERS = {
    "csv": read_csv,
    "tsv": read_tsv,
    "parquet": read_parquet,
    "trackmate-csv": read_trackmate_csv,
    "trackmate-xml": read_trackmate_xml,
    "andi-txt": read_andi_txt,
    "mat": read_mat,
    "npy": read_npy,
}
