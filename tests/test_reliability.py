"""The reliability table: every kind of odd or hostile input tried, and what it gets - run here, and
written to docs/reliability.md from what actually happened, so the page stays true.

Each case runs the real command line (``uandi.cli.main``) with the shipped networks on a small input and
checks the outcome (exit code and the words of the message or the reasons in the output); the page's
table is rendered from the same runs. When a message changes on purpose, regenerate the page:

    UANDI_WRITE_DOCS=1 python -m pytest tests/test_reliability.py
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import uandi
from uandi.cli import main
from uandi.notices import UandiNotice

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def walk(n: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """A Brownian track of n points (n, 2), unit steps, times `scale`."""
    return np.cumsum(np.random.default_rng(seed).normal(size=(n, 2)), axis=0) * scale


def drifting(n_tracks: int, n: int, velocity=(0.5, -0.3), at_rest: int = 0) -> dict:
    """Columns particle, frame, x, y of n_tracks Brownian tracks (unit steps) carried by one velocity
    per frame, and `at_rest` particles left in place (localization error 0.05 only): a drifting stage
    when at_rest is 0, a flow otherwise."""
    rng = np.random.default_rng(7)
    moving = [walk(n, seed=k) + np.arange(n)[:, None] * np.asarray(velocity) for k in range(n_tracks)]
    still = [0.05 * rng.normal(size=(n, 2)) for _ in range(at_rest)]
    xy = np.concatenate(moving + still)
    return {"particle": np.repeat(np.arange(n_tracks + at_rest), n), "frame": np.tile(np.arange(n), n_tracks + at_rest),
            "x": xy[:, 0], "y": xy[:, 1]}


def table_text(columns: dict, sep: str = ",") -> str:
    return pd.DataFrame(columns).to_csv(sep=sep, index=False)


def tracks(ids=(1,), n=40, scale=1.0, frame="frame", start=0) -> dict:
    """Columns particle, <frame>, x, y of Brownian tracks with the given ids, n points each."""
    xy = np.concatenate([walk(n, seed=k, scale=scale) for k in range(len(ids))])
    columns = {"particle": np.repeat(np.asarray(ids, dtype=object), n)}
    if frame:
        columns[frame] = np.tile(np.arange(start, start + n), len(ids))
    return columns | {"x": xy[:, 0], "y": xy[:, 1]}


@dataclass
class Case:
    name: str  # the input, as a user would describe it
    does: str  # what uandi does with it, in words
    content: object = None  # file content: str, bytes, or a dict of columns written as CSV
    suffix: str = ".csv"
    argv: list = field(default_factory=list)  # extra arguments; a full command when it starts with a command
    exit: int = 0
    expect: tuple = ()  # words the message or result must contain


CASES = [
    # --- files that are read as they are -----------------------------------------------------------
    Case("trackpy CSV, rows in random order", "sorted by (track, frame) for the analysis; output rows in "
         "the file's order", pd.DataFrame(tracks(ids=(3, 1), n=40)).sample(frac=1, random_state=2).to_dict("list"),
         expect=("80 rows back", "80 analysed", "ids back as written")),
    Case("track ids \"1\" and \"01\", \"007\" and \"7\"", "kept as the file's text: four different tracks",
         tracks(ids=("1", "01", "007", "7"), n=25), expect=("ids back as written", "4 tracks")),
    Case("track ids \"2.1\" and \"2.10\"", "two tracks, ids written back as \"2.1\" and \"2.10\"",
         tracks(ids=("2.1", "2.10"), n=25), expect=("ids back as written", "2 tracks")),
    Case("track id \"a/b\" with --plot", "the figure's file name made safe (\"a_b\" plus a hash); the id "
         "itself unchanged", tracks(ids=("a/b",), n=40), argv=["--plot", "--tasks", "alpha"],
         expect=("ids back as written", "figure tracka_b-")),
    Case("no frame column", "points numbered 0, 1, ... in row order within each track, with a note",
         tracks(n=30, frame=None), expect=("note:", "numbered 0, 1, ... in row order")),
    Case("frames in a column `Frame_Number`", "recognised as frames",
         tracks(n=30, frame="Frame_Number"), expect=("30 analysed",)),
    Case("frames in a column `time`, rows not in its order", "refused: numbering rows would analyse the "
         "track out of time order", pd.DataFrame(tracks(n=30, frame="time")).sample(frac=1, random_state=1)
         .to_dict("list"), exit=2, expect=("not in the order of the column 'time'", "--columns frame=time")),
    Case("the same with --columns frame=time", "the column is used as frames",
         pd.DataFrame(tracks(n=30, frame="time")).sample(frac=1, random_state=1).to_dict("list"),
         argv=["--columns", "frame=time"], expect=("30 analysed",)),
    Case("own column names (`cell`, `X_um`, `Y_um`)", "refused with the names found and the --columns fix",
         {"cell": [1, 1], "t": [0, 1], "X_um": [0.0, 1.0], "Y_um": [0.0, 1.0]}, exit=2,
         expect=("required column(s)", "--columns track_id=particle")),
    Case("semicolon-separated CSV", "separator guessed from the header, with a note",
         table_text(tracks(n=30), sep=";"), expect=("note:", "semicolon-separated", "30 analysed")),
    Case("semicolon CSV with decimal commas", "read with decimal commas, with a note",
         "particle;frame;x;y\n" + "".join(f"1;{i};{x:.3f};{y:.3f}\n".replace(".", ",")
                                          for i, (x, y) in enumerate(walk(30))),
         expect=("decimal commas", "30 analysed")),
    Case("`.csv.gz` file", "decompressed and read as CSV", gzip.compress(table_text(tracks(n=30)).encode()),
         suffix=".csv.gz", expect=("30 analysed",)),
    Case("header only", "empty tables, exit 0, with a note (a DataFrame gets the same)",
         "particle,frame,x,y\n", expect=("note:", "no data rows", "0 rows back")),
    Case("AnDi 2024 table with its own `alpha` column", "the input's column kept as `alpha_input`, with a note",
         tracks(n=30) | {"alpha": [0.7] * 30}, expect=("note:", "kept as 'alpha_input'")),
    # --- odd rows: handled and reported in the `reason` column ---------------------------------------
    Case("NaN and inf positions", "those rows get reason \"missing position\"; the track is split there",
         {**tracks(n=50), "x": np.where(np.arange(50) == 10, np.nan, np.where(np.arange(50) == 35, np.inf,
                                                                               walk(50)[:, 0]))},
         expect=("2 x missing position",)),
    Case("rows without a track id", "reason \"missing track id\"",
         {"particle": [1] * 30 + [None], "frame": list(range(30)) + [0], "x": list(walk(31)[:, 0]),
          "y": list(walk(31)[:, 1])}, expect=("missing track id",)),
    Case("duplicate (track, frame) rows", "the first is analysed, the others get reason \"duplicate frame\"",
         {k: list(v) + list(v[:3]) for k, v in tracks(n=30).items()}, expect=("duplicate frame",)),
    Case("a gap in the frames", "the track is cut into pieces analysed separately",
         {**tracks(n=60), "frame": np.r_[np.arange(30), np.arange(40, 70)]}, expect=("60 analysed",)),
    Case("pieces shorter than 20 points", "reason \"too short (n < 20)\", no prediction",
         tracks(ids=(1, 2), n=12), expect=("too short (12 < 20)",)),
    Case("a constant track", "reason \"immobile (no step)\": no alpha, no class",
         {"particle": [1] * 40, "frame": range(40), "x": [3.5] * 40, "y": [1.0] * 40},
         expect=("immobile (no step)",)),
    Case("a particle at rest seen with localization noise", "reason \"immobile (MSD flat: ...)\": no alpha, "
         "no class", {"particle": [1] * 60, "frame": range(60),
                      "x": 5 + 0.02 * np.random.default_rng(1).normal(size=60),
                      "y": 2 + 0.02 * np.random.default_rng(2).normal(size=60)},
         expect=("immobile (MSD flat",)),
    Case("positions times 1e300", "the same as at unit scale (the input is scaled exactly by a power of two)",
         tracks(n=40, scale=1e300), expect=("40 analysed",)),
    Case("positions times 1e-300", "the same as at unit scale", tracks(n=40, scale=1e-300),
         expect=("40 analysed",)),
    # --- files that are refused --------------------------------------------------------------------
    Case("an empty file", "refused", "", exit=2, expect=("the file is empty",)),
    Case("text in the x column", "refused, naming the value and its row", "particle,frame,x,y\n1,0,abc,2\n",
         exit=2, expect=("non-numeric values", "'abc'")),
    Case("fractional frame numbers", "refused: frames are integers", "particle,frame,x,y\n1,0.5,1,2\n", exit=2,
         expect=("non-integer values",)),
    Case("infinite frame number", "refused", "particle,frame,x,y\n1,inf,1,2\n", exit=2, expect=("holds inf",)),
    Case("1D tracks (no y)", "refused", "particle,frame,x\n1,0,1\n", exit=2, expect=("only 2D tracks",)),
    Case("3D tracks (a varying z)", "refused", "particle,frame,x,y,z\n1,0,1,2,0\n1,1,1,2,5\n", exit=2,
         expect=("3D tracks",)),
    Case("a binary file named .csv", "refused", b"particle,frame,x,y\n\xff\xfe\x00,0,1,2\n", exit=2,
         expect=("not UTF-8 text",)),
    Case("an unknown extension", "refused, naming --format", "particle,frame,x,y\n", suffix=".dat", exit=2,
         expect=("--format",)),
    Case("a gzipped .npy", "refused: decompress first", gzip.compress(b"\x93NUMPY"), suffix=".npy.gz", exit=2,
         expect=("decompress it first",)),
    # --- arguments and environment: checked before any work ----------------------------------------
    Case("output folder that cannot be written", "refused before the analysis", tracks(n=30),
         argv=["-o", "{input}/results"], exit=2, expect=("is a file, not a folder",)),
    Case("--device cuda without a GPU", "refused before loading a network", tracks(n=30),
         argv=["--device", "cuda"], exit=2, expect=("no CUDA GPU available",)),
    Case("--min-length 5", "refused: the networks need 20 points", tracks(n=30), argv=["--min-length", "5"],
         exit=2, expect=("--min-length must be an integer >= 20",)),
    Case("--localization-error 0.05 on a particle at rest", "pieces whose spread the error explains are "
         "immobile", {"particle": [1] * 60, "frame": range(60),
                      "x": 5 + 0.05 * np.random.default_rng(1).normal(size=60),
                      "y": 2 + 0.05 * np.random.default_rng(2).normal(size=60)},
         argv=["--localization-error", "0.05"], expect=("immobile (within the localization error)",)),
    Case("12 tracks on a drifting stage", "analysed as given, with a note on the shared velocity",
         drifting(12, 40), expect=("share a mean velocity", "drift constant")),
    Case("the same with --drift constant", "the velocity taken out of the positions analysed (segments table: "
         "drift_x, drift_y)", drifting(12, 40), argv=["--drift", "constant"], expect=("480 analysed",)),
    Case("--drift constant where a quarter of the particles stay put (a flow)", "refused: removing it would "
         "give them a directed motion", drifting(30, 40, at_rest=10), argv=["--drift", "constant"], exit=2,
         expect=("a flow carrying the moving particles",)),
    Case("uandi train --steps 0", "refused; no run folder is made", argv=["train", "--steps", "0"], exit=2,
         expect=("--steps must be an integer >= 1",)),
    Case("uandi train --resume without a checkpoint", "refused instead of starting afresh",
         argv=["train", "--resume"], exit=2, expect=("there is no run to continue",)),
    Case("uandi train --lengths 5000000", "refused before allocating anything", argv=["train", "--lengths",
         "5000000"], exit=2, expect=("between 20 and 10000 points",)),
    Case("uandi evaluate --max-n 0", "refused", argv=["evaluate", "--weights", "alpha", "--data", "x",
         "--max-n", "0"], exit=2, expect=("--max-n must be an integer >= 1",)),
    Case("uandi evaluate --examples -2", "refused", argv=["evaluate", "--weights", "alpha", "--data", "x",
         "--examples", "-2"], exit=2, expect=("--examples must be an integer >= 0",)),
]


@pytest.fixture(scope="module")
def fixed_environment():
    """The shipped networks loaded once, and no GPU (so the device case reads the same everywhere)."""
    import torch

    import uandi.predict

    networks = {name: uandi.load(name, device="cpu") for name in ("alpha", "alpha-all", "diffusion-model")}
    networks["model"] = networks["diffusion-model"]

    def load(name, device="auto"):
        return networks[name]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uandi.predict, "load", load)
        patch.setattr(torch.cuda, "is_available", lambda: False)
        patch.setattr(torch.version, "cuda", None)
        yield


def run_case(case: Case, folder: Path) -> tuple[int, str]:
    """Run one case in `folder`; (exit code, one-line account of what came back)."""
    path = folder / f"tracks{case.suffix}"
    content = case.content
    if isinstance(content, dict):
        content = pd.DataFrame(content).to_csv(index=False)
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    out = folder / "out"
    commands = ("train", "evaluate", "simulate")
    if case.argv and case.argv[0] in commands:
        argv = case.argv + (["--out", str(folder / "run")] if case.argv[0] == "train" else [])
    else:
        extra = [a.replace("{input}", str(path)) for a in case.argv]
        argv = ["segment", str(path), "--quiet", *([] if "-o" in extra else ["-o", str(out)]), *extra]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    err = stderr.getvalue()
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line.split(": ", 1)[1] for line in err.splitlines() if line.startswith("uandi ")]
    if code == 0 and (out / "tracks_points.csv").exists():
        lines.append(_result(content, out))
    text = " / ".join(lines)
    return code, re.sub(r"\s+", " ", text.replace(str(folder) + os.sep, "").replace(str(folder), "."))


def _result(content, out: Path) -> str:
    """Rows back, analysed, tracks, reasons; ids compared with the input's text."""
    points = pd.read_csv(out / "tracks_points.csv", dtype={"particle": str}, keep_default_na=False)
    reasons = points["reason"][points["reason"] != ""].value_counts()
    text = f"{len(points)} rows back, {int((points['reason'] == '').sum())} analysed"
    if "particle" in points:
        text += f", {points['particle'].nunique()} tracks"
        written = pd.read_csv(io.StringIO(content if isinstance(content, str) else ""), dtype={"particle": str},
                              keep_default_na=False, sep=None, engine="python") if isinstance(content, str) else None
        if written is not None and "particle" in written and len(written) == len(points):
            same = written["particle"].tolist() == points["particle"].tolist()
            text += ", ids back as written" if same else ", IDS CHANGED"
    if len(reasons):
        text += "; reason: " + ", ".join(f"{n} x {reason}" for reason, n in reasons.items())
    figures = sorted(p.name for p in out.glob("tracks_track*.png"))
    if figures:
        text += "; figure " + ", ".join(name[len("tracks_"):] for name in figures)
    return text


def render(results: list) -> str:
    rows = ["| input | what uandi does | exit | what came back (messages verbatim, paths shortened) |",
            "|---|---|---|---|"]
    for case, (code, text) in zip(CASES, results):
        cell = text.replace("|", "\\|")
        rows.append(f"| {case.name} | {case.does} | {code} | {cell} |")
    return "\n".join(rows)


def test_every_case_gets_what_the_table_says(fixed_environment, tmp_path_factory):
    results = []
    for case in CASES:
        code, text = run_case(case, tmp_path_factory.mktemp("case"))
        assert code == case.exit, (case.name, text)
        for words in case.expect:
            assert words in text, (case.name, words, text)
        results.append((code, text))
    table = render(results)
    page = DOC.read_text() if DOC.exists() else ""
    block = f"{START}\n{table}\n{END}"
    if os.environ.get("UANDI_WRITE_DOCS"):
        if START in page:
            page = page.split(START)[0] + block + page.split(END, 1)[1]
        else:
            page = page.rstrip() + "\n\n" + block + "\n"
        DOC.write_text(page)
    assert block in page, ("docs/reliability.md is out of date; regenerate it with "
                           "UANDI_WRITE_DOCS=1 python -m pytest tests/test_reliability.py")


def test_a_header_only_dataframe_gets_what_a_header_only_file_gets(fixed_environment):
    with pytest.warns(UandiNotice, match="no data rows"):
        points, segments = uandi.segment(pd.DataFrame({"particle": [], "frame": [], "x": [], "y": []}))
    assert len(points) == 0 and len(segments) == 0
