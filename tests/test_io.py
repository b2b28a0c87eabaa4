"""Tests for uandi.io: every format onto the canonical table, and every bad-input error."""

import bz2
import gzip
import lzma
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from uandi.io import CANONICAL_COLUMNS, read_tracks, write_table
from uandi.notices import UandiNotice


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_canonical_columns(tracks: pd.DataFrame, extras=()):
    assert list(tracks.columns) == [*CANONICAL_COLUMNS, *extras, "row"]
    assert tracks["frame"].dtype == np.int64
    assert tracks["x"].dtype == np.float64
    assert tracks["y"].dtype == np.float64
    assert tracks["row"].dtype == np.int64


# --- tables with named columns ---------------------------------------------------------------


def test_trackpy_csv_keeps_rows_in_file_order_and_extras(tmp_path):
    # trackpy column order (y before x), rows deliberately not sorted by particle or frame.
    path = write_text(
        tmp_path / "trackpy.csv",
        "y,x,mass,frame,particle\n"
        "2.5,1.5,100.0,3,7\n"
        "4.5,3.5,101.0,0,2\n"
        "6.5,5.5,102.0,2,7\n",
    )
    tracks = read_tracks(path)
    assert_canonical_columns(tracks, extras=["mass"])
    assert tracks["track_id"].tolist() == [7, 2, 7]
    assert tracks["frame"].tolist() == [3, 0, 2]
    assert tracks["x"].tolist() == [1.5, 3.5, 5.5]
    assert tracks["y"].tolist() == [2.5, 4.5, 6.5]
    assert tracks["mass"].tolist() == [100.0, 101.0, 102.0]
    assert tracks["row"].tolist() == [0, 1, 2]
    assert tracks.attrs["format"] == "csv"


def test_andi2024_csv(tmp_path):
    path = write_text(
        tmp_path / "andi2024.csv", "traj_idx,frame,x,y\n0,0,1.0,2.0\n0,1,1.5,2.5\n1,0,9.0,8.0\n"
    )
    tracks = read_tracks(path)
    assert_canonical_columns(tracks)
    assert tracks["track_id"].tolist() == [0, 0, 1]
    assert tracks["frame"].tolist() == [0, 1, 0]
    assert tracks["x"].tolist() == [1.0, 1.5, 9.0]
    assert tracks["y"].tolist() == [2.0, 2.5, 8.0]


def test_saspt_csv_maps_x_and_y_by_name_not_position(tmp_path):
    path = write_text(
        tmp_path / "saspt.csv", "trajectory,frame,y,x\n5,0,100.0,1.0\n5,1,200.0,2.0\n"
    )
    tracks = read_tracks(path)
    assert tracks["x"].tolist() == [1.0, 2.0]
    assert tracks["y"].tolist() == [100.0, 200.0]
    assert tracks["track_id"].tolist() == [5, 5]


def test_aliases_are_case_insensitive(tmp_path):
    path = write_text(tmp_path / "upper.csv", "Track,Frame,X,Y\n1,0,0.5,0.25\n")
    tracks = read_tracks(path)
    assert tracks.loc[0, ["track_id", "frame", "x", "y"]].tolist() == [1, 0, 0.5, 0.25]


def test_columns_argument_overrides_aliases(tmp_path):
    # 'x' and 'y' exist but hold something else; the user points at the real coordinates.
    path = write_text(
        tmp_path / "custom.csv", "cell,t,x,y,xc,yc\nA,0,9,9,1.0,2.0\nA,1,9,9,3.0,4.0\n"
    )
    tracks = read_tracks(path, columns={"track_id": "cell", "frame": "t", "x": "xc", "y": "yc"})
    assert tracks["track_id"].tolist() == ["A", "A"]
    assert tracks["x"].tolist() == [1.0, 3.0]
    assert tracks["y"].tolist() == [2.0, 4.0]
    # The file's own 'x' and 'y' are extras now and must not shadow the canonical columns.
    assert_canonical_columns(tracks, extras=["x_input", "y_input"])
    assert tracks["x_input"].tolist() == [9, 9]


def test_missing_frame_column_numbers_points_within_each_track(tmp_path):
    # Interleaved tracks: frames count each track's own rows in file order.
    path = write_text(tmp_path / "noframe.csv", "track_id,x,y\n1,0,0\n2,0,0\n1,1,1\n1,2,2\n2,1,1\n")
    tracks = read_tracks(path)
    assert tracks["frame"].tolist() == [0, 0, 1, 2, 1]
    assert tracks["row"].tolist() == [0, 1, 2, 3, 4]


def test_frame_none_ignores_a_time_column(tmp_path):
    path = write_text(tmp_path / "times.csv", "id,t,x,y\n1,0.00,0,0\n1,0.03,1,1\n")
    with pytest.raises(ValueError, match="non-integer"):
        read_tracks(path)
    tracks = read_tracks(path, columns={"frame": None})
    assert tracks["frame"].tolist() == [0, 1]
    assert tracks["t"].tolist() == [0.0, 0.03]


def test_constant_z_is_kept_as_extra_column(tmp_path):
    path = write_text(tmp_path / "flat.csv", "particle,frame,x,y,z\n0,0,1,2,0.0\n0,1,3,4,0.0\n")
    tracks = read_tracks(path)
    assert_canonical_columns(tracks, extras=["z"])
    assert tracks["z"].tolist() == [0.0, 0.0]


def test_tsv_by_extension_and_sniffed_txt(tmp_path):
    text = "particle\tframe\tx\ty\tsignal\n3\t0\t1.0\t2.0\t5\n3\t1\t1.5\t2.5\t6\n"
    for name in ("tracks.tsv", "tracks.txt"):
        tracks = read_tracks(write_text(tmp_path / name, text))
        assert_canonical_columns(tracks, extras=["signal"])
        assert tracks["x"].tolist() == [1.0, 1.5]
        assert tracks["signal"].tolist() == [5, 6]
        assert tracks.attrs["format"] == "tsv"


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    table = pd.DataFrame(
        {"y": [2.0, 4.0], "x": [1.0, 3.0], "frame": [0, 1], "particle": [4, 4], "ecc": [0.1, 0.2]}
    )
    for name in ("tracks.parquet", "tracks.pq"):
        table.to_parquet(tmp_path / name)
        tracks = read_tracks(tmp_path / name)
        assert_canonical_columns(tracks, extras=["ecc"])
        assert tracks["x"].tolist() == [1.0, 3.0]
        assert tracks["y"].tolist() == [2.0, 4.0]
        assert tracks["track_id"].tolist() == [4, 4]


# --- TrackMate ---------------------------------------------------------------------------------

TRACKMATE_KEYS = "LABEL,ID,TRACK_ID,QUALITY,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME\n"
TRACKMATE_NEW_HEADERS = (
    "Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame\n"
    "Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame\n"
    ",,,(quality),(µm),(µm),(µm),(sec),\n"
)
TRACKMATE_ROWS = (
    "ID10,10,0,5.0,1.25,2.5,0.0,0.0,0\n"
    "ID12,12,1,4.0,7.0,8.0,0.0,0.0,0\n"
    "ID11,11,0,5.5,1.5,2.75,0.0,0.1,1\n"
)


@pytest.mark.parametrize(
    "headers", ["", TRACKMATE_NEW_HEADERS], ids=["trackmate<7", "trackmate>=7"]
)
def test_trackmate_spots_csv(tmp_path, headers):
    path = write_text(tmp_path / "spots.csv", TRACKMATE_KEYS + headers + TRACKMATE_ROWS)
    tracks = read_tracks(path)
    assert tracks.attrs["format"] == "trackmate-csv"
    assert_canonical_columns(
        tracks, extras=["LABEL", "ID", "QUALITY", "POSITION_Z", "POSITION_T"]
    )
    assert tracks["track_id"].tolist() == [0, 1, 0]
    assert tracks["frame"].tolist() == [0, 0, 1]
    assert tracks["x"].tolist() == [1.25, 7.0, 1.5]
    assert tracks["y"].tolist() == [2.5, 8.0, 2.75]
    assert tracks["LABEL"].tolist() == ["ID10", "ID12", "ID11"]
    assert tracks["row"].tolist() == [0, 1, 2]


TRACKMATE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Tracks nTracks="2" spaceUnits="micron" frameInterval="0.1" timeUnits="sec" from="TrackMate v7">
  <particle nSpots="3">
    <detection t="0" x="1.0" y="2.0" z="0.0" />
    <detection t="1" x="1.5" y="2.5" z="0.0" />
    <detection t="3" x="2.0" y="3.0" z="0.0" />
  </particle>
  <particle nSpots="2">
    <detection t="5" x="10.0" y="20.0" z="0.0" />
    <detection t="6" x="11.0" y="21.0" z="0.0" />
  </particle>
</Tracks>
"""


def test_trackmate_xml(tmp_path):
    tracks = read_tracks(write_text(tmp_path / "tracks.xml", TRACKMATE_XML))
    assert_canonical_columns(tracks, extras=["z"])
    assert tracks["track_id"].tolist() == [0, 0, 0, 1, 1]
    assert tracks["frame"].tolist() == [0, 1, 3, 5, 6]
    assert tracks["x"].tolist() == [1.0, 1.5, 2.0, 10.0, 11.0]
    assert tracks["y"].tolist() == [2.0, 2.5, 3.0, 20.0, 21.0]
    assert tracks["row"].tolist() == [0, 1, 2, 3, 4]
    assert tracks.attrs["space_units"] == "micron"


def test_trackmate_xml_3d_is_refused(tmp_path):
    moved = TRACKMATE_XML.replace('t="1" x="1.5" y="2.5" z="0.0"', 't="1" x="1.5" y="2.5" z="0.7"')
    assert moved != TRACKMATE_XML
    path = write_text(tmp_path / "tracks3d.xml", moved)
    with pytest.raises(ValueError, match="only 2D"):
        read_tracks(path)


def test_trackmate_session_xml_gets_a_hint(tmp_path):
    path = write_text(tmp_path / "session.xml", '<TrackMate version="7"><Model/></TrackMate>')
    with pytest.raises(ValueError, match="Export tracks to XML"):
        read_tracks(path)


# --- AnDi 2020 txt, MATLAB, NumPy ---------------------------------------------------------------


def test_andi2020_txt(tmp_path):
    path = write_text(tmp_path / "task1.txt", "2.0;1;2;3;10;20;30\n2;5.5;6.5;7.5;8.5\n")
    tracks = read_tracks(path)
    assert tracks.attrs["format"] == "andi-txt"
    assert_canonical_columns(tracks)
    assert tracks["track_id"].tolist() == [0, 0, 0, 1, 1]
    assert tracks["frame"].tolist() == [0, 1, 2, 0, 1]
    assert tracks["x"].tolist() == [1, 2, 3, 5.5, 6.5]
    assert tracks["y"].tolist() == [10, 20, 30, 7.5, 8.5]
    assert tracks["row"].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("dim,line", [(1, "1;0.1;0.2;0.3"), (3, "3;1;2;3;4;5;6")])
def test_andi2020_txt_other_dimensions_are_refused(tmp_path, dim, line):
    path = write_text(tmp_path / "task1.txt", f"2;1;2;3;4\n{line}\n")
    with pytest.raises(ValueError, match=f"line 2 holds a {dim}D trajectory; only 2D"):
        read_tracks(path)


def test_mat_frames_synthesised_and_ids_integer(tmp_path):
    # columns x, y, track id; rows of a track consecutive.
    matrix = np.array([[1.0, 2.0, 1], [1.5, 2.5, 1], [2.0, 3.0, 1], [9.0, 8.0, 4], [9.5, 8.5, 4]])
    scipy.io.savemat(tmp_path / "beads.mat", {"tr": matrix})
    tracks = read_tracks(tmp_path / "beads.mat")
    assert_canonical_columns(tracks)
    assert tracks["track_id"].dtype == np.int64
    assert tracks["track_id"].tolist() == [1, 1, 1, 4, 4]
    assert tracks["frame"].tolist() == [0, 1, 2, 0, 1]
    assert tracks["x"].tolist() == matrix[:, 0].tolist()
    assert tracks["y"].tolist() == matrix[:, 1].tolist()
    assert tracks["row"].tolist() == [0, 1, 2, 3, 4]


def test_mat_with_several_candidates_needs_variable(tmp_path):
    first = np.array([[1.0, 2.0, 0.0]])
    second = np.array([[5.0, 6.0, 3.0], [5.5, 6.5, 3.0]])
    scipy.io.savemat(tmp_path / "two.mat", {"tr": first, "other": second})
    with pytest.raises(ValueError, match=r"several \(n, 3\) matrices.*variable"):
        read_tracks(tmp_path / "two.mat")
    tracks = read_tracks(tmp_path / "two.mat", columns={"variable": "other"})
    assert tracks["x"].tolist() == [5.0, 5.5]
    assert tracks["frame"].tolist() == [0, 1]


def test_mat_v73_is_refused_with_resave_hint(tmp_path):
    # A v7.3 header: 116 bytes of text, 8 bytes subsystem offset, version 0x0200, 'IM'.
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116, b" ") + bytes(8) + b"\x00\x02IM"
    (tmp_path / "new.mat").write_bytes(header + bytes(512))
    with pytest.raises(ValueError, match="v7.3.*-v7"):
        read_tracks(tmp_path / "new.mat")


def test_npy_tracks_with_nan_points_kept(tmp_path):
    array = np.arange(12, dtype=float).reshape(2, 3, 2)  # (N, L, 2)
    array[1, 2] = np.nan
    np.save(tmp_path / "tracks.npy", array)
    tracks = read_tracks(tmp_path / "tracks.npy")
    assert_canonical_columns(tracks)
    assert tracks["track_id"].tolist() == [0, 0, 0, 1, 1, 1]
    assert tracks["frame"].tolist() == [0, 1, 2, 0, 1, 2]
    assert tracks["x"].tolist()[:5] == [0, 2, 4, 6, 8]
    assert tracks["y"].tolist()[:5] == [1, 3, 5, 7, 9]
    assert tracks[["x", "y"]].iloc[5].isna().all()
    assert tracks["row"].tolist() == [0, 1, 2, 3, 4, 5]


def test_npy_3d_and_object_arrays_are_refused(tmp_path):
    np.save(tmp_path / "tracks3d.npy", np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="only 2D"):
        read_tracks(tmp_path / "tracks3d.npy")
    np.save(tmp_path / "objects.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        read_tracks(tmp_path / "objects.npy")


# --- bad input ---------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_tracks(tmp_path / "absent.csv")


def test_unknown_format(tmp_path):
    path = write_text(tmp_path / "tracks.csv", "particle,frame,x,y\n0,0,0,0\n")
    with pytest.raises(ValueError, match="unknown format 'excel'"):
        read_tracks(path, format="excel")
    with pytest.raises(ValueError, match=r"pass --format \(Python: format=\)"):
        read_tracks(write_text(tmp_path / "tracks.dat", "particle,frame,x,y\n"))


def test_missing_columns_lists_found_and_explains_columns_argument(tmp_path):
    path = write_text(tmp_path / "nameless.csv", "cell,x,y\nA,0,0\n")
    with pytest.raises(ValueError, match=r"\['track_id'\] not found.*'cell'.*columns="):
        read_tracks(path)
    with pytest.raises(ValueError, match="not a column of the file"):
        read_tracks(path, columns={"track_id": "nucleus"})


def test_one_coordinate_column_is_refused_as_1d(tmp_path):
    path = write_text(tmp_path / "oned.csv", "particle,frame,x\n0,0,1.0\n")
    with pytest.raises(ValueError, match="no y column; only 2D"):
        read_tracks(path)


def test_varying_z_is_refused_as_3d(tmp_path):
    path = write_text(tmp_path / "threed.csv", "particle,frame,x,y,z\n0,0,1,2,0.0\n0,1,3,4,0.5\n")
    with pytest.raises(ValueError, match="3D tracks; only 2D"):
        read_tracks(path)


def test_non_numeric_coordinates(tmp_path):
    path = write_text(tmp_path / "text.csv", "particle,frame,x,y\n0,0,1.0,2.0\n0,1,oops,3.0\n")
    with pytest.raises(ValueError, match="'x' holds non-numeric values.*'oops'.*data row 1"):
        read_tracks(path)


# --- writing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.csv", "out.tsv", "out.parquet"])
def test_write_table_round_trip(tmp_path, name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    table = pd.DataFrame(
        {"track_id": [3, 3], "frame": [0, 1], "x": [0.5, 1.5], "y": [2.0, 3.0], "alpha": [1.0, 0.4]}
    )
    write_table(table, tmp_path / name)
    back = read_tracks(tmp_path / name)
    pd.testing.assert_frame_equal(back.drop(columns="row"), table)


def test_write_table_refuses_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match="extension '.xlsx'"):
        write_table(pd.DataFrame({"x": [1]}), tmp_path / "out.xlsx")


# --- real data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,n_rows,n_tracks",
    [("saspt_sample_tracks.csv", 5071, 1000), ("granik2019_brownian_beads.mat", 265229, 3420)],
)
def test_real_files(real_data, name, n_rows, n_tracks):
    tracks = read_tracks(real_data / name)
    assert len(tracks) == n_rows
    assert tracks["track_id"].nunique() == n_tracks
    assert tracks["row"].tolist() == list(range(n_rows))
    assert np.isfinite(tracks[["x", "y"]].to_numpy()).all()


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    path = tmp_path / "tracks.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails
    with pytest.raises(ImportError, match="pip install pyarrow"):
        read_tracks(path)


def test_mat_without_track_matrix(tmp_path):
    scipy.io.savemat(tmp_path / "xy.mat", {"xy": np.zeros((5, 2))})
    with pytest.raises(ValueError, match=r"expected a numeric \(n, 3\) matrix.*xy \(5, 2\)"):
        read_tracks(tmp_path / "xy.mat")


# --- ids, frames, separators, compression: odd input read exactly or refused ---------------------


def test_track_ids_are_kept_as_the_exact_text_unless_plain_integers(tmp_path):
    path = write_text(
        tmp_path / "ids.csv",
        "track,frame,x,y\n2.1,0,0,0\n2.10,0,1,1\n1,0,2,2\n01,0,3,3\n007,0,4,4\n7,0,5,5\n",
    )
    tracks = read_tracks(path)
    assert tracks["track_id"].tolist() == ["2.1", "2.10", "1", "01", "007", "7"]
    assert tracks["track_id"].nunique() == 6
    plain = read_tracks(write_text(tmp_path / "plain.csv", "track,frame,x,y\n7,0,0,0\n-2,0,1,1\n"))
    assert plain["track_id"].dtype == np.int64 and plain["track_id"].tolist() == [7, -2]


def test_plain_integer_ids_with_a_missing_one_stay_integers(tmp_path):
    tracks = read_tracks(write_text(tmp_path / "gap.csv", "track,frame,x,y\n3,0,0,0\n,1,1,1\n"))
    assert str(tracks["track_id"].dtype) == "Int64"
    assert tracks["track_id"].iloc[0] == 3 and tracks["track_id"].isna().iloc[1]


@pytest.mark.parametrize("name", ["time", "Frame_Time", "POSITION_T", "t (s)", "Slice"])
def test_rows_out_of_the_order_of_a_time_like_column_are_refused(tmp_path, name):
    path = write_text(tmp_path / "unsorted.csv", f"track,{name},x,y\n1,2,0,0\n1,0,1,1\n1,1,2,2\n")
    with pytest.raises(ValueError, match=rf"not in the order of the column '{re.escape(name)}'.*"
                                         rf"--columns frame={re.escape(name)}"):
        read_tracks(path)
    tracks = read_tracks(path, columns={"frame": name})
    assert tracks["frame"].tolist() == [2, 0, 1]


def test_frame_number_names_are_recognised(tmp_path):
    path = write_text(tmp_path / "fn.csv", "track,Frame_Number,x,y\n1,5,0,0\n1,3,1,1\n")
    assert read_tracks(path)["frame"].tolist() == [5, 3]


def test_frames_numbered_in_row_order_come_with_a_notice(tmp_path):
    path = write_text(tmp_path / "sorted.csv", "track,time,x,y\n1,0.0,0,0\n1,0.1,1,1\n1,0.2,2,2\n")
    numbered = r"\['time'\] were not used as frames; the points of each track were numbered"
    with pytest.warns(UandiNotice, match=numbered):
        tracks = read_tracks(path)
    assert tracks["frame"].tolist() == [0, 1, 2] and tracks["time"].tolist() == [0.0, 0.1, 0.2]


def test_infinite_or_huge_frames_are_refused(tmp_path):
    path = write_text(tmp_path / "inf.csv", "track,frame,x,y\n1,0,0,0\n1,inf,1,1\n")
    with pytest.raises(ValueError, match="frame column 'frame' holds inf"):
        read_tracks(path)
    with pytest.raises(ValueError, match="below 2\\*\\*53"):
        read_tracks(write_text(tmp_path / "huge.csv", "track,frame,x,y\n1,1e300,0,0\n"))


def test_semicolon_csv_with_decimal_commas_is_read_with_a_notice(tmp_path):
    path = write_text(tmp_path / "excel.csv", "track;frame;x;y\nA;0;1,5;2,25\nA;1;-0,5;3\n")
    with pytest.warns(UandiNotice, match="semicolon-separated table with decimal commas"):
        tracks = read_tracks(path)
    assert tracks["x"].tolist() == [1.5, -0.5] and tracks["y"].tolist() == [2.25, 3.0]
    assert tracks["track_id"].tolist() == ["A", "A"]


def test_delimiter_argument_and_a_hint_when_the_header_is_not_split(tmp_path):
    path = write_text(tmp_path / "bar.csv", "track|frame|x|y\n1|0|0.5|1.5\n")
    tracks = read_tracks(path, delimiter="|")
    assert tracks["x"].tolist() == [0.5]
    with pytest.raises(ValueError, match="semicolon-separated; pass --delimiter ';'"):
        read_tracks(write_text(tmp_path / "semi.tsv", "track;frame;x;y\n1;0;0;0\n"))
    with pytest.raises(ValueError, match="delimiter applies to"):
        read_tracks(write_text(tmp_path / "a.txt", "2;0;1;0;1\n"), delimiter=";")
    with pytest.raises(ValueError, match="one character"):
        read_tracks(path, delimiter="||")


@pytest.mark.parametrize("compress", [gzip.open, bz2.open, lzma.open])
def test_compressed_text_files_are_read_by_their_inner_suffix(tmp_path, compress):
    suffix = {gzip.open: ".gz", bz2.open: ".bz2", lzma.open: ".xz"}[compress]
    path = tmp_path / f"tracks.csv{suffix}"
    with compress(path, "wt") as handle:
        handle.write("particle,frame,x,y\n007,0,1.0,2.0\n007,1,1.5,2.5\n")
    tracks = read_tracks(path)
    assert tracks.attrs["format"] == "csv" and tracks["track_id"].tolist() == ["007", "007"]
    andi = tmp_path / f"andi.txt{suffix}"
    with compress(andi, "wt") as handle:
        handle.write("2;0;1;2;0;0;0\n")
    assert read_tracks(andi)["x"].tolist() == [0.0, 1.0, 2.0]


def test_compressed_xml_and_refused_compressed_binary(tmp_path):
    xml = tmp_path / "tracks.xml.gz"
    with gzip.open(xml, "wt") as handle:
        handle.write(TRACKMATE_XML)
    assert read_tracks(xml)["frame"].tolist() == [0, 1, 3, 5, 6]
    with gzip.open(tmp_path / "tracks.npy.gz", "wb") as handle:
        np.save(handle, np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="decompress it first"):
        read_tracks(tmp_path / "tracks.npy.gz")
    (tmp_path / "broken.csv.gz").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(ValueError, match="cannot read or decompress"):
        read_tracks(tmp_path / "broken.csv.gz")


def test_header_only_file_gives_an_empty_table_and_a_notice(tmp_path):
    with pytest.warns(UandiNotice, match="header but no data rows"):
        tracks = read_tracks(write_text(tmp_path / "empty.csv", "particle,frame,x,y\n"))
    assert len(tracks) == 0 and list(tracks.columns[:4]) == list(CANONICAL_COLUMNS)


def test_binary_file_named_csv_is_refused_clearly(tmp_path):
    (tmp_path / "image.csv").write_bytes(b"track,frame,x,y\n\xff\xfe\x00\x01,0,0,0\n")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        read_tracks(tmp_path / "image.csv")
