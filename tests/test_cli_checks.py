"""The CLI's pre-flight checks: every bad argument, input, output folder or device is refused with one
line naming the problem and the fix, exit code 2, before any work starts and without leaving files."""

import os

import numpy as np
import pandas as pd
import pytest

from uandi import cli
from uandi.cli import main


def write_tracks(path, n_points=(60,), frame_name="frame", shuffle=False, seed=0):
    """A CSV of Brownian tracks of the given lengths, columns particle, <frame_name>, x, y."""
    rng = np.random.default_rng(seed)
    parts = []
    for track, n in enumerate(n_points):
        xy = np.cumsum(rng.normal(size=(n, 2)), axis=0)
        parts.append(pd.DataFrame({"particle": track, frame_name: np.arange(n), "x": xy[:, 0], "y": xy[:, 1]}))
    table = pd.concat(parts, ignore_index=True)
    if shuffle:
        table = table.sample(frac=1.0, random_state=seed)
    table.to_csv(path, index=False)
    return path


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def forbid(monkeypatch, module, name):
    """Make `module.name` fail the test if called: the check must come before the work."""
    def called(*args, **kwargs):
        raise AssertionError(f"{name} ran although a pre-flight check should have stopped the command")
    monkeypatch.setattr(module, name, called)


@pytest.fixture
def tracks_csv(tmp_path):
    return write_tracks(tmp_path / "tracks.csv")


# --- output folder ------------------------------------------------------------------------------


def test_unwritable_output_folder_is_refused_before_the_analysis(tmp_path, tracks_csv, monkeypatch, capsys):
    import tempfile

    import uandi.segmentation

    forbid(monkeypatch, uandi.segmentation, "segment")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    code, _, err = run(["segment", str(tracks_csv), "--quiet"], capsys)  # default: next to the input
    assert code == 2
    assert f"cannot write into {tmp_path}: Permission denied; choose a writable output folder with -o" in err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_input_folder_needs_another_output_folder(tmp_path, monkeypatch, capsys):
    import uandi.segmentation

    forbid(monkeypatch, uandi.segmentation, "segment")
    folder = tmp_path / "readonly"
    folder.mkdir()
    path = write_tracks(folder / "tracks.csv")
    folder.chmod(0o555)
    try:
        code, _, err = run(["segment", str(path), "--quiet"], capsys)
    finally:
        folder.chmod(0o755)
    assert code == 2 and "choose a writable output folder with -o/--output" in err


def test_output_folder_under_a_file_is_refused(tmp_path, tracks_csv, capsys):
    code, _, err = run(["segment", str(tracks_csv), "-o", str(tracks_csv / "results"), "--quiet"], capsys)
    assert code == 2 and f"{tracks_csv} is a file, not a folder" in err
    assert not (tmp_path / "tracks_points.csv").exists()


# --- device -------------------------------------------------------------------------------------


@pytest.fixture
def no_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data") / "alpha60"
    assert main(["simulate", "--task", "alpha", "--length", "60", "--n", "8", "--out", str(folder), "--quiet"]) == 0
    return folder


def test_cuda_without_a_gpu_is_refused_by_segment_train_and_evaluate(tmp_path, tracks_csv, dataset, no_gpu,
                                                                    monkeypatch, capsys):
    import uandi.segmentation
    import uandi.train

    forbid(monkeypatch, uandi.segmentation, "segment")
    forbid(monkeypatch, uandi.train, "train")
    commands = [
        ["segment", str(tracks_csv), "--device", "cuda", "--quiet"],
        ["train", "--preset", "tiny-alpha", "--device", "cuda", "--out", str(tmp_path / "run")],
        ["evaluate", "--weights", "alpha", "--data", str(dataset), "--device", "cuda", "--out", str(tmp_path / "e")],
    ]
    for argv in commands:
        code, _, err = run(argv, capsys)
        assert code == 2 and "--device cuda: no CUDA GPU available" in err and "use --device cpu" in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "e").exists()


# --- train --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "0"], "--steps must be an integer >= 1; got 0"),
        (["--batch-size", "0"], "--batch-size must be an integer >= 1"),
        (["--lengths", "5000000"], "--lengths must lie between 20 and 10000 points; got 5000000"),
        (["--lengths", "5"], "--lengths must lie between 20"),
        (["--lengths", "300,100"], "min <= max"),
        (["--lengths", "a,b"], "take integers"),
        (["--val-lengths", "100,99999"], "--val-lengths must lie between"),
        (["--noise", "-1"], "--noise must be >= 0"),
        (["--lr", "0"], "--lr must be a finite number > 0"),
        (["--lr", "nan"], "--lr must be a finite number > 0"),
        (["--val-every", "0"], "--val-every must be an integer >= 1"),
        (["--time-limit", "-5"], "--time-limit must be a finite number > 0"),
        (["--resume"], "there is no run to continue; leave out --resume"),
        (["--init-from", "nowhere.safetensors"], "--init-from nowhere.safetensors: no such weights file"),
        (["--data", "nowhere"], "not a uandi dataset folder"),
        (["--preset", "no-such-net"], "unknown network preset"),
    ],
)
def test_train_arguments_are_checked_before_a_run_folder_is_made(tmp_path, monkeypatch, capsys, extra, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    code, _, err = run(["train", "--preset", "tiny-alpha", "--out", str(out), *extra], capsys)
    assert code == 2 and message in err
    assert not out.exists()


def test_a_run_that_fails_inside_training_leaves_no_folder_behind(tmp_path, capsys):
    out = tmp_path / "run"
    # five segments of at least 10 points do not fit into 20 points: found by the simulator, after
    # train() has written config.json
    code, _, err = run(["train", "--preset", "tiny-alpha", "--lengths", "20", "--n-segments", "5,5", "--steps", "1",
                        "--val-n", "2", "--val-lengths", "20", "--out", str(out)], capsys)
    assert code == 2 and "too short" in err
    assert not out.exists()


def test_an_existing_run_is_not_overwritten_without_resume(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text("")
    code, _, err = run(["train", "--preset", "tiny-alpha", "--out", str(out)], capsys)
    assert code == 2 and "already holds a training run; pass --resume" in err


# --- evaluate -----------------------------------------------------------------------------------


@pytest.mark.parametrize("extra, message", [(["--max-n", "0"], "--max-n must be an integer >= 1; got 0"),
                                            (["--examples", "-2"], "--examples must be an integer >= 0; got -2")])
def test_evaluate_counts_are_checked(tmp_path, dataset, monkeypatch, capsys, extra, message):
    import uandi.predict

    forbid(monkeypatch, uandi.predict, "load")
    code, _, err = run(["evaluate", "--weights", "alpha", "--data", str(dataset), "--out", str(tmp_path / "e"),
                        *extra], capsys)
    assert code == 2 and message in err and not (tmp_path / "e").exists()


# --- segment: arguments, columns, delimiter, counts ----------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--columns", "frame"], "--columns takes name=column pairs"),
        (["--columns", "speed=v"], "--columns takes name=column pairs"),
        (["--columns", "x=a,x=b"], "--columns names 'x' twice"),
        (["--columns", "frame=nope"], "columns= maps 'frame' to 'nope', which is not a column"),
        (["--delimiter", ";;"], "--delimiter takes one character"),
        (["--tasks", "speed"], "--tasks takes alpha, model or alpha,model"),
        (["--min-length", "5"], "--min-length must be an integer >= 20"),
        (["--max-plots", "-1"], "--max-plots must be an integer >= 0"),
        (["--workers", "0"], "--workers must be an integer >= 1"),
        (["--weights", "alpha"], "--weights takes task=path pairs"),
        (["--format", "excel"], "--format must be one of"),
    ],
)
def test_segment_arguments_are_checked(tmp_path, tracks_csv, capsys, extra, message):
    code, _, err = run(["segment", str(tracks_csv), "--quiet", "-o", str(tmp_path / "out"), *extra], capsys)
    assert code == 2 and message in err
    assert not (tmp_path / "out").exists()


def test_columns_option_maps_an_unknown_time_column(tmp_path, capsys):
    path = write_tracks(tmp_path / "unsorted.csv", n_points=(80,), frame_name="time", shuffle=True)
    code, _, err = run(["segment", str(path), "--quiet", "--tasks", "alpha"], capsys)
    assert code == 2 and "not in the order of the column 'time'" in err and "--columns frame=time" in err
    code, out, _ = run(["segment", str(path), "--quiet", "--tasks", "alpha", "--columns", "frame=time"], capsys)
    assert code == 0 and "80 points in 1 tracks: 80 analysed" in out
    points = pd.read_csv(tmp_path / "unsorted_points.csv")
    assert points["time"].tolist() == pd.read_csv(path)["time"].tolist()  # input order and values kept


def test_semicolon_file_and_delimiter_option(tmp_path, capsys):
    table = pd.read_csv(write_tracks(tmp_path / "c.csv", n_points=(40,)))
    path = tmp_path / "semi.csv"
    table.to_csv(path, sep=";", index=False)
    code, out, err = run(["segment", str(path), "--quiet", "--tasks", "alpha"], capsys)
    assert code == 0 and "note:" in err and "semicolon-separated" in err and "40 analysed" in out
    code, out, err = run(["segment", str(path), "--quiet", "--tasks", "alpha", "--delimiter", ";"], capsys)
    assert code == 0 and "semicolon" not in err


def test_a_note_gets_a_line_of_its_own_beside_the_progress_bar(tmp_path, capsys):
    """A note given while the progress bar is drawn starts a line, not glued to the bar's last frame."""
    table = pd.read_csv(write_tracks(tmp_path / "c.csv", n_points=(40,)))
    path = tmp_path / "semi.csv"
    table.to_csv(path, sep=";", index=False)
    code, _, err = run(["segment", str(path), "--tasks", "alpha"], capsys)
    lines = err.replace("\r", "\n").splitlines()
    assert code == 0 and any("segment:" in line and "point" in line for line in lines)  # the bar was drawn
    notes = [line for line in lines if "note:" in line]
    assert notes and all(line.startswith("uandi segment: note:") for line in notes)


def test_compressed_input_keeps_its_stem(tmp_path, capsys):
    table = pd.read_csv(write_tracks(tmp_path / "c.csv", n_points=(40,)))
    table.to_csv(tmp_path / "tracks.csv.gz", index=False)
    code, _, _ = run(["segment", str(tmp_path / "tracks.csv.gz"), "--quiet", "--tasks", "alpha"], capsys)
    assert code == 0 and len(pd.read_csv(tmp_path / "tracks_points.csv")) == 40


def test_segment_count_leaves_out_pieces_too_short_to_analyse(tmp_path, capsys):
    path = write_tracks(tmp_path / "mixed.csv", n_points=(60, 5, 7))
    code, out, _ = run(["segment", str(path), "--quiet", "--tasks", "alpha"], capsys)
    segments = pd.read_csv(tmp_path / "mixed_segments.csv", keep_default_na=False)
    analysed = int((segments["reason"] == "").sum())
    assert code == 0 and len(segments) == analysed + 2
    assert f"72 points in 3 tracks: 60 analysed, {analysed} segments" in out
    assert "not analysed: 12 points too short (column 'reason' of mixed_points.csv)" in out


def test_header_only_file_gives_empty_tables_and_a_note(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("particle,frame,x,y\n")
    code, out, err = run(["segment", str(path), "--quiet"], capsys)
    assert code == 0 and "0 points in 0 tracks" in out and "note:" in err and "no data rows" in err


def test_an_unexpected_error_is_one_line_not_a_traceback(tracks_csv, monkeypatch, capsys):
    import uandi.segmentation

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(uandi.segmentation, "segment", broken)
    code, _, err = run(["segment", str(tracks_csv), "--quiet"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "internal error: RuntimeError: something inside broke" in err and "UANDI_DEBUG=1" in err
    monkeypatch.setenv("UANDI_DEBUG", "1")
    with pytest.raises(RuntimeError, match="something inside broke"):
        cli.main(["segment", str(tracks_csv), "--quiet"])


def test_track_ids_with_slashes_get_safe_distinct_plot_files(tmp_path, capsys):
    path = write_tracks(tmp_path / "ids.csv", n_points=(40, 40, 40))
    table = pd.read_csv(path)
    table["particle"] = table["particle"].map({0: "a/b", 1: "a_b", 2: "../up"})
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    code, stdout, err = run(["segment", str(path), "--quiet", "--plot", "-o", str(out), "--tasks", "alpha"], capsys)
    assert code == 0, err
    pngs = sorted(p.name for p in out.glob("ids_track*_piece0.png"))
    assert len(pngs) == 3 and len(set(pngs)) == 3 and "ids_tracka_b_piece0.png" in pngs
    assert {p.parent for p in tmp_path.rglob("*.png")} == {out}  # nothing written outside the folder
    points = pd.read_csv(out / "ids_points.csv")
    assert points["particle"].tolist() == table["particle"].tolist()


def test_localization_error_option(tmp_path, capsys):
    rng = np.random.default_rng(5)
    xy = 3.0 + 0.01 * rng.normal(size=(50, 2))  # a particle at rest, localization error 0.01
    path = tmp_path / "rest.csv"
    pd.DataFrame({"particle": 1, "frame": np.arange(50), "x": xy[:, 0], "y": xy[:, 1]}).to_csv(path, index=False)
    code, out, _ = run(["segment", str(path), "--quiet", "--localization-error", "0.01"], capsys)
    assert code == 0 and "50 points in 1 tracks: 0 analysed, 0 segments" in out
    assert "not analysed: 50 points immobile" in out
    code, _, err = run(["segment", str(path), "--quiet", "--localization-error", "0"], capsys)
    assert code == 2 and "--localization-error must be a finite number > 0" in err


def test_export_checks_the_run_and_the_destination(tmp_path, capsys):
    code, _, err = run(["export", str(tmp_path), "--out", str(tmp_path / "w.safetensors")], capsys)
    assert code == 2 and "holds no best.safetensors" in err
    (tmp_path / "best.safetensors").write_bytes(b"")
    code, _, err = run(["export", str(tmp_path), "--out", str(tmp_path / "w.json")], capsys)
    assert code == 2 and "--out must name a .safetensors file" in err
    assert not (tmp_path / "w.json").exists()
