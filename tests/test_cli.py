"""The documented command chain: uandi simulate -> train -> evaluate -> export, and segment."""

import json

import numpy as np
import pytest

from uandi.cli import main
from uandi.data import read_dataset
from uandi.predict import load


def test_simulate_train_evaluate_end_to_end(tmp_path, capsys):
    data = tmp_path / "val"
    assert main(["simulate", "--task", "alpha", "--length", "64", "--n", "40", "--seed", "1", "--out", str(data),
                 "--quiet", "--min-alpha-jump", "0.5"]) == 0
    run = tmp_path / "run"
    assert main(["train", "--preset", "tiny-alpha", "--steps", "4", "--batch-size", "8", "--lengths", "50,70",
                 "--val-n", "16", "--val-lengths", "64", "--val-every", "2", "--out", str(run)]) == 0
    out = tmp_path / "eval"
    assert main(["evaluate", "--weights", str(run), "--data", str(data), "--out", str(out), "--examples", "3"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    # the reported MAE is the trained network's, on this dataset: recomputed here from its predictions
    d = read_dataset(data)
    pred = load(run, device="cpu").predict(d.arrays("x"))
    assert metrics["n_trajectories"] == 40
    assert metrics["mae"] == pytest.approx(np.abs(pred - d.arrays("alpha")).mean(), rel=1e-6)
    assert set(metrics["changepoints"]) >= {"tp", "fp", "fn", "f1", "jsc", "rmse"}
    for png in ("examples.png", "alpha_hist2d.png", "dc_histogram.png", "mae_by_alpha.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["export", str(run), "--out", str(tmp_path / "w" / "mine.safetensors")]) == 0
    card = json.loads((tmp_path / "w" / "mine.json").read_text())
    assert card["task"] == "alpha" and card["training"]["trajectory_passes"] == 32 and len(card["sha256"]) == 64


def test_simulate_with_motion_blur(tmp_path):
    # the shutter open the whole frame: near-Brownian FBM steps correlate about +0.25 with the next
    data = tmp_path / "blurred"
    assert main(["simulate", "--task", "alpha", "--length", "200", "--n", "300", "--n-segments", "1", "--exposure", "1",
                 "--seed", "4", "--out", str(data), "--quiet"]) == 0
    d = read_dataset(data)
    x, alpha = d.arrays("x").astype(float), d.arrays("alpha")[:, 0]
    dx = np.diff(x[np.abs(alpha - 1.0) < 0.2], axis=1)
    corr = (dx[:, 1:] * dx[:, :-1]).mean() / (dx**2).mean()
    assert 0.18 < corr < 0.32, corr


def test_evaluate_model_task_writes_confusion(tmp_path):
    data = tmp_path / "val"
    assert main(["simulate", "--task", "model", "--length", "60", "--n", "20", "--out", str(data), "--quiet"]) == 0
    run = tmp_path / "run"
    assert main(["train", "--preset", "tiny-model", "--steps", "2", "--batch-size", "8", "--lengths", "60",
                 "--val-n", "8", "--val-lengths", "60", "--val-every", "2", "--out", str(run)]) == 0
    assert main(["evaluate", "--weights", str(run), "--data", str(data), "--out", str(tmp_path / "e")]) == 0
    m = json.loads((tmp_path / "e" / "metrics.json").read_text())
    # the paper's mDice is the per-trajectory point accuracy, averaged: recomputed from the predictions
    d = read_dataset(data)
    pred = load(run, device="cpu").predict(d.arrays("x"))
    assert m["mdice"] == pytest.approx((pred == d.arrays("model")).mean(axis=1).mean(), rel=1e-9)
    assert np.sum(m["confusion"]) == 20 * 60 and len(m["confusion"]) == 5
    assert (tmp_path / "e" / "confusion.png").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["simulate", "--task", "alpha", "--length", "30", "--n", "5", "--out", "X"], "too short"),
        (["simulate", "--task", "alpha", "--length", "60", "--n", "0", "--out", "X"], "positive integer"),
        (["simulate", "--task", "model", "--length", "60", "--n", "5", "--out", "X", "--models", "fbm,xyz"],
         "unknown diffusion model"),
        (["simulate", "--task", "alpha", "--length", "60", "--n", "5", "--out", "X", "--exposure", "1.5"],
         "--exposure (motion blur"),
        (["simulate", "--task", "alpha", "--length", "60", "--n", "5", "--out", "X", "--exposure", "0.5",
          "--scale", "native"], "needs --scale free"),
        (["evaluate", "--weights", "alpha", "--data", "NOWHERE"], "not a uandi dataset"),
        (["segment", "NOWHERE.csv"], "NOWHERE.csv"),
    ],
)
def test_bad_input_gives_an_error_message_and_exit_code_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_segment_the_bundled_example_like_the_readme(tmp_path, capsys):
    out = tmp_path / "uandi-example"
    assert main(["segment", "--example", "-o", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "1922 points in 8 tracks: 1922 analysed" in printed
    import pandas as pd

    # the summary counts the segments whose alpha comes from an exact likelihood, as the table says
    segments = pd.read_csv(out / "example_tracks_segments.csv")
    exact = int(segments["alpha_method"].str.startswith("likelihood").sum())
    assert f"alpha: {exact} of {len(segments)} segments from an exact likelihood" in printed
    inside = segments["alpha_method"].isin(["likelihood", "likelihood (SBM)"])  # not at the lattice's edge
    assert segments.loc[inside, "alpha_se"].notna().all()
    points = pd.read_csv(out / "example_tracks_points.csv")
    assert list(points.columns[:4]) == ["particle", "frame", "x", "y"] and len(points) == 1922
    assert (out / "example_tracks_summary.png").is_file() and len(list(out.glob("*_piece*.png"))) == 8
