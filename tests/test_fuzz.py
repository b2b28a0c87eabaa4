"""Fuzz suite: random, odd and hostile track tables through uandi.segment and the `uandi` command.

Properties (hypothesis, derandomized so every run tries the same examples; bounded to a few tens of
seconds with the shipped networks loaded once):

- every input row comes back exactly once, in the input's order, with its original values and its
  original track id (strings such as "007", "2.10", "a/b" included), from a DataFrame and from a file;
- the results do not depend on the order of the rows, nor on a common scale factor of the positions
  (1e-12 to 1e12) within float tolerance;
- no traceback ever reaches the user of the command line: any file and any argument combination ends
  with exit code 0 or 2 and at most one-line messages on stderr.

Tables have 1-4 tracks of 1-60 points with random ids (ints, floats, zero-padded and decimal strings,
text with spaces, slashes and non-ASCII letters, huge integers, ints mixed with strings), shuffled rows, duplicate frames, NaN and
inf positions, gaps in the frames, constant tracks and positions scaled by 1e-12 to 1e12.
"""

from __future__ import annotations

import contextlib
import io
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import uandi
from uandi.cli import main
from uandi.segmentation import write_outputs

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
# Text pandas reads as a missing value: ids that are missing are a case of their own (see the reliability
# table), not a way to lose an id here.
PANDAS_NA_TEXT = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}


@pytest.fixture(scope="module")
def networks():
    """The shipped default networks of both tasks (weights=), loaded once for the module, on the CPU."""
    return {"alpha": uandi.load("alpha-all", device="cpu"), "model": uandi.load("diffusion-model", device="cpu")}


@pytest.fixture(scope="module")
def cli_networks(networks):
    """The command line loads networks by name; hand it the module's copies (same weights, no reload)."""
    import uandi.predict

    by_name = {"alpha": uandi.load("alpha", device="cpu"), "alpha-all": networks["alpha"],
               "diffusion-model": networks["model"], "model": networks["model"]}

    real_load = uandi.predict.load

    def load(name, device="auto"):  # any other name or path: the real loader (its own clean errors)
        return by_name[name] if name in by_name else real_load(name, device=device)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uandi.predict, "load", load)
        yield


# --- random tables -------------------------------------------------------------------------------

id_text = st.text(alphabet=string.ascii_letters + string.digits + " ./-_µé", min_size=1, max_size=6).filter(
    lambda s: s.strip() == s and s not in PANDAS_NA_TEXT)
ID_STYLES = {
    "int": st.integers(-5, 10**6),
    "zero-padded": st.integers(0, 999).map(lambda i: f"{i:03d}"),
    "decimal": st.sampled_from(["2.1", "2.10", "2.100", "1", "01", "1.0", "-0", "0"]),
    "text": id_text,
    "huge": st.integers(10**19, 10**25).map(str),
    "float": st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64),
    "path-like": st.sampled_from(["a/b", "../up", "c\\d", "x:y", "*", "con", "tab\there", ".", "é/ü"]),
    "mixed": st.one_of(st.integers(0, 3), st.sampled_from(["1", "01", "2"])),
}


@st.composite
def track_tables(draw, with_duplicates=True, with_bad_positions=True):
    """(table with columns track_id, frame, x, y, scale): 1-4 tracks of random kinds."""
    style = draw(st.sampled_from(sorted(ID_STYLES)))
    ids = draw(st.lists(ID_STYLES[style], min_size=1, max_size=4, unique_by=str))
    scale = 10.0 ** draw(st.integers(-12, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    parts = []
    for track_id in ids:
        length = draw(st.sampled_from([1, 2, 5, 19, 20, 23, 40, 60]))
        kind = draw(st.sampled_from(["walk", "walk", "constant", "noise"]))
        if kind == "walk":
            xy = np.cumsum(rng.normal(size=(length, 2)), axis=0)
        elif kind == "constant":
            xy = np.full((length, 2), rng.normal())
        else:
            xy = rng.normal(size=(length, 2)) * 0.1
        xy = (xy + rng.normal(size=2) * 5) * scale
        frames = np.arange(length) + draw(st.integers(0, 3))
        if length > 25 and draw(st.booleans()):  # a gap in the frames
            frames[length // 2:] += draw(st.integers(2, 5))
        parts.append(pd.DataFrame({"track_id": [track_id] * length, "frame": frames, "x": xy[:, 0], "y": xy[:, 1]}))
    table = pd.concat(parts, ignore_index=True)
    if with_bad_positions and draw(st.booleans()):
        bad = rng.choice(len(table), size=min(len(table), draw(st.integers(1, 3))), replace=False)
        table.loc[bad, draw(st.sampled_from(["x", "y"]))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    if with_duplicates and draw(st.booleans()):
        table = pd.concat([table, table.sample(n=min(3, len(table)), random_state=seed % 1000)], ignore_index=True)
    if draw(st.booleans()):
        table = table.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True)
    if style in ("int", "float"):
        table["track_id"] = table["track_id"].astype(np.int64 if style == "int" else np.float64)
    return table, scale


def same_values(a: pd.Series, b: pd.Series) -> bool:
    """Equal element by element, NaN equal to NaN, dtype of ids not compared (read back from text)."""
    a, b = a.to_numpy(), b.to_numpy()
    if np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number):
        return bool(np.array_equal(a.astype(np.float64), b.astype(np.float64), equal_nan=True))
    return [str(v) for v in a] == [str(v) for v in b]


def quiet_segment(table, networks, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notices are the CLI test's business
        return uandi.segment(table, weights=networks, **kwargs)


# --- every row back, exactly ---------------------------------------------------------------------


@FUZZ
@given(case=track_tables())
def test_every_row_comes_back_once_with_its_values_from_a_dataframe(networks, case):
    table, _ = case
    table = table.set_index(pd.Index(np.arange(len(table)) * 7 + 3))  # an index of the user's own
    points, segments = quiet_segment(table, networks)
    assert len(points) == len(table) and points.index.equals(table.index)
    for column in table.columns:
        assert same_values(points[column], table[column]), column
    assert set(points["reason"]) <= set(points["reason"]) | {""}
    analysed = points["reason"] == ""
    assert np.isfinite(points.loc[analysed, "alpha"]).all()
    assert points.loc[~analysed, "alpha"].isna().all() and points.loc[~analysed, "model"].isna().all()
    # every analysed row lies in exactly one segment of the segments table
    real = segments[segments["reason"] == ""]
    assert int(real["length"].sum()) == int(analysed.sum())
    assert set(map(str, segments["track_id"].dropna())) <= set(map(str, table["track_id"]))


@FUZZ
@given(case=track_tables(), separator=st.sampled_from([",", ";", "\t"]))
def test_every_row_comes_back_once_with_its_exact_id_text_from_a_file(networks, tmp_path_factory, case, separator):
    table, _ = case
    folder = tmp_path_factory.mktemp("file")
    path = folder / ("tracks.tsv" if separator == "\t" else "tracks.csv")
    text = table.astype({"track_id": str})  # 1 and "1" of a mixed column are one id in a text file
    text.to_csv(path, sep=separator, index=False)
    points, _ = quiet_segment(path, networks)
    write_outputs(points, _, folder, "out")
    back = pd.read_csv(folder / "out_points.csv", dtype={"track_id": str}, keep_default_na=False,
                       na_values={"x": ["nan", "NaN", ""], "y": ["nan", "NaN", ""]})
    assert len(back) == len(table)
    assert back["track_id"].tolist() == text["track_id"].tolist()  # "007", "2.10", "a/b" as written
    assert back["row"].tolist() == list(range(len(table)))
    for column in ("frame", "x", "y"):
        assert same_values(back[column], table[column]), column


# --- independent of row order and of the unit ----------------------------------------------------


def by_input_row(points: pd.DataFrame, key: str) -> pd.DataFrame:
    columns = ["alpha", "p_fbm", "segment", "segment_alpha", "reason", "piece"]
    return points.set_index(key)[columns].sort_index()


def assert_same_results(a: pd.DataFrame, b: pd.DataFrame, atol: float) -> None:
    assert a["reason"].tolist() == b["reason"].tolist()
    assert a["piece"].astype("Float64").fillna(-1).tolist() == b["piece"].astype("Float64").fillna(-1).tolist()
    for column in ("alpha", "p_fbm", "segment_alpha"):
        np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), atol=atol, rtol=0)


@FUZZ
@given(case=track_tables(with_duplicates=False), order_seed=st.integers(0, 1000))
def test_results_do_not_depend_on_the_order_of_the_rows(networks, case, order_seed):
    table, _ = case
    table = table.assign(key=np.arange(len(table)))
    shuffled = table.sample(frac=1.0, random_state=order_seed)
    first, _ = quiet_segment(table, networks)
    second, _ = quiet_segment(shuffled, networks)
    a, b = by_input_row(first, "key"), by_input_row(second, "key")
    assert_same_results(a, b, atol=1e-5)
    assert a["segment"].fillna(-1).tolist() == b["segment"].fillna(-1).tolist()


@FUZZ
@given(case=track_tables(with_duplicates=False), exponent=st.integers(-12, 12))
def test_results_do_not_depend_on_a_common_scale_of_the_positions(networks, case, exponent):
    table, _ = case
    scaled = table.assign(x=table["x"] * 10.0**exponent, y=table["y"] * 10.0**exponent)
    first, _ = quiet_segment(table, networks)
    second, _ = quiet_segment(scaled, networks)
    # float32 networks on inputs that differ in the last bit: point-wise outputs agree to 1e-3
    assert_same_results(first.reset_index(drop=True), second.reset_index(drop=True), atol=1e-3)


# --- the command line never shows a traceback ----------------------------------------------------

GARBAGE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    st.sampled_from([
        "", "\n\n", "particle,frame,x,y\n", "x,y\n1,2\n", "particle,frame,x\n0,0,1\n",
        "particle,frame,x,y,z\n0,0,1,2,0\n0,1,1,2,5\n", "track;frame;x;y\n1;0;1,5;2\n",
        "2;0;1;2\n", "3;0;1;2;3;4;5;6\n", "<Tracks><particle><detection t='0' x='a' y='1'/></particle></Tracks>",
        "<TrackMate/>", "particle,frame,x,y\n0,0.5,1,2\n", "particle,frame,x,y\n0,1e300,1,2\n",
        "particle,frame,x,y\n0,0,abc,2\n", "TRACK_ID,POSITION_X\n1,2\n", "particle,time,x,y\n0,2,0,0\n0,1,1,1\n",
    ]),
)
SUFFIXES = [".csv", ".tsv", ".txt", ".xml", ".npy", ".mat", ".parquet", ".csv.gz", ".dat"]
OPTIONS = st.lists(st.sampled_from([
    ["--tasks", "alpha"], ["--tasks", "model"], ["--tasks", "speed"], ["--min-length", "25"], ["--min-length", "3"],
    ["--columns", "frame=time"], ["--columns", "frame="], ["--columns", "x=y,y=x"], ["--columns", "bogus"],
    ["--delimiter", ";"], ["--delimiter", "tab"], ["--format", "csv"], ["--format", "npy"], ["--format", "nope"],
    ["--plot", "--max-plots", "1"], ["--max-plots", "-3"], ["--weights", "alpha=nowhere.safetensors"],
]), max_size=3)


def run_cli(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse: usage line and code 2
            code = exit.code
    return code, err.getvalue()


def segment_table_file(tmp_path_factory, table, separator: str, options) -> tuple[int, str, Path]:
    """Write `table` as a CSV with `separator` into a fresh folder and run `uandi segment` on it with
    `options` (a list of argument groups); returns (exit code, stderr, output folder)."""
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "tracks.csv"
    table.to_csv(path, sep=separator, index=False)
    out = folder / "out"
    return (*run_cli(["segment", str(path), "--quiet", "-o", str(out)] + [x for o in options for x in o]), out)


def assert_no_traceback(code, err: str) -> None:
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    for line in err.splitlines():  # every message is one line with its prefix (or argparse's usage)
        assert line.startswith(("uandi segment: ", "usage: ", "uandi: error:", "  ", "               ")), line


@FUZZ
@given(content=GARBAGE, suffix=st.sampled_from(SUFFIXES), options=OPTIONS)
def test_no_traceback_for_any_file_content(cli_networks, tmp_path_factory, content, suffix, options):
    folder = tmp_path_factory.mktemp("cli")
    path = folder / f"input{suffix}"
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    if suffix.endswith(".gz"):
        import gzip

        data = gzip.compress(data)
    path.write_bytes(data)
    argv = ["segment", str(path), "--quiet", "-o", str(folder / "out")] + [x for o in options for x in o]
    assert_no_traceback(*run_cli(argv))


@FUZZ
@given(case=track_tables(), options=OPTIONS, separator=st.sampled_from([",", ";"]))
def test_no_traceback_for_any_table_and_options(cli_networks, tmp_path_factory, case, options, separator):
    table, _ = case
    code, err, _ = segment_table_file(tmp_path_factory, table, separator, options)
    assert_no_traceback(code, err)


VALID_OPTIONS = st.lists(st.sampled_from([
    ["--tasks", "alpha"], ["--tasks", "model"], ["--min-length", "25"], ["--format", "csv"],
    ["--columns", "track_id=track_id,frame=frame"],
]), max_size=2, unique_by=lambda o: o[0])


@FUZZ
@given(case=track_tables(), options=VALID_OPTIONS, separator=st.sampled_from([",", ";"]))
def test_any_valid_table_with_valid_options_succeeds(cli_networks, tmp_path_factory, case, options, separator):
    table, _ = case
    code, err, out = segment_table_file(tmp_path_factory, table.astype({"track_id": str}), separator,
                                        [["--plot", "--max-plots", "1"], *options])
    assert code == 0, err
    assert_no_traceback(code, err)
    back = pd.read_csv(out / "tracks_points.csv", dtype={"track_id": str}, keep_default_na=False)
    assert back["track_id"].tolist() == table["track_id"].astype(str).tolist()
