"""Tests for uandi.segment (uandi.segmentation with uandi.tracks and uandi.results): whole track tables
or arrays in, every row back once, odd rows handled and reported.

Network-independent logic (pieces, merging of changepoints, per-segment statistics) runs on a fake
predictor whose output is known exactly; the plumbing to real networks uses two tiny nets trained
once per module (a few seconds).
"""

import sys
import types

import numpy as np
import pandas as pd
import pytest

import uandi
from uandi.constants import MIN_TRACK_LENGTH, MODELS
from uandi.io import read_tracks
from uandi.notices import UandiNotice
from uandi.postprocess import LIKELIHOOD_SETTINGS, combine_changepoints
from uandi.segmentation import segment, write_outputs
from uandi.simulate import dataset

ADDED = ["piece", "alpha", "alpha_clipped", "model", *(f"p_{m}" for m in MODELS), "segment", "segment_alpha", "reason"]


# --- fixtures (tiny_weights: tests/conftest.py) --------------------------------------------------


class FakePredictor:
    """Known point-wise output on every piece of length L (positions ignored):

    alpha 0.5 before point L // 2, 1.5 from there; class fbm before L // 2 + 3, ctrw up to L - 16,
    lw for the last 15 points (probability 0.8 for the class, 0.05 for each other one)."""

    classes = MODELS

    def __init__(self, task):
        self.task = task
        self.calls = []

    def pointwise(self, x, batch_size=256, *, progress=None, check_input=True):
        self.calls.append(len(x))
        if progress is not None:
            progress(sum(len(t) for t in x))
        return [self._alpha(len(t)) if self.task == "alpha" else self._proba(len(t)) for t in x]

    @staticmethod
    def _alpha(length):
        return np.where(np.arange(length) < length // 2, 0.5, 1.5)

    @staticmethod
    def _proba(length):
        label = np.full(length, MODELS.index("ctrw"))
        label[: length // 2 + 3] = MODELS.index("fbm")
        label[length - 15 :] = MODELS.index("lw")
        proba = np.full((length, 5), 0.05)
        proba[np.arange(length), label] = 0.8
        return proba


@pytest.fixture
def fake_weights():
    return {"alpha": FakePredictor("alpha"), "model": FakePredictor("model")}


def simulated_table(n_tracks=4, length=120, seed=0) -> pd.DataFrame:
    """Long table of simulated multi-segment tracks with extra columns of several dtypes."""
    x = dataset("model", n_tracks, length, np.random.default_rng(seed)).x.astype(np.float64)  # (N, L, 2)
    n = n_tracks * length
    return pd.DataFrame({
        "track_id": np.repeat(np.arange(10, 10 + n_tracks), length),
        "frame": np.tile(np.arange(5, 5 + length), n_tracks),
        "x": x[:, :, 0].ravel() * 0.16 + 3.0,  # µm-like units and an offset: the nets are scale-free
        "y": x[:, :, 1].ravel() * 0.16 - 1.0,
        "intensity": np.linspace(100.0, 200.0, n),
        "cell": np.repeat([f"cell{i % 2}" for i in range(n_tracks)], length),
        "quality": np.arange(n, dtype=np.int32),
    })


def rows_of(points, track_id):
    return points[points["track_id"] == track_id]


# --- round trip with real (tiny) networks ------------------------------------------------------------


def test_round_trip_csv_every_row_once_columns_unchanged(tmp_path, tiny_weights):
    table = simulated_table()
    path = tmp_path / "tracks.csv"
    table.to_csv(path, index=False)
    points, segments = segment(path, weights=tiny_weights, device="cpu")

    original = read_tracks(path)
    assert len(points) == len(table)
    np.testing.assert_array_equal(points["row"], np.arange(len(table)))
    pd.testing.assert_frame_equal(points[table.columns], table.astype({"quality": np.int64}))
    pd.testing.assert_frame_equal(points[original.columns], original)
    assert list(points.columns) == [*original.columns, *ADDED]

    assert (points["reason"] == "").all()
    proba = points[[f"p_{m}" for m in MODELS]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert points["alpha"].between(0.05, 2.0).all()
    assert set(points["model"]) <= set(MODELS)
    assert (points["model"] == np.asarray(MODELS)[proba.argmax(axis=1)]).all()
    assert (points["piece"] == 0).all()

    # segments tile each piece and agree with the point table
    assert list(segments.columns) == ["track_id", "piece", "segment", "first_frame", "last_frame", "length",
                                      "first_row", "first_frame_low", "first_frame_high", "alpha", "alpha_se", "alpha_method", "alpha_network",
                                      "alpha_clipped", "K", "K_se", "localization_error", "localization_error_se",
                                      "units", "model", "probability", "reason"]
    # both tasks: the changes of class are the changepoints, and no likelihood placed them (no interval)
    assert segments["first_frame_low"].isna().all() and segments["first_frame_high"].isna().all()
    for track_id, group in segments.groupby("track_id"):
        assert group["length"].sum() == 120
        assert group["first_frame"].iloc[0] == 5 and group["last_frame"].iloc[-1] == 124
        np.testing.assert_array_equal(group["first_frame"].to_numpy()[1:], group["last_frame"].to_numpy()[:-1] + 1)
        assert (group["length"] >= 10).all()
        track = rows_of(points, track_id)
        for _, seg in group.iterrows():
            in_seg = track[track["segment"] == seg["segment"]]
            assert len(in_seg) == seg["length"]
            # the network's segment alpha is the mean of its point-wise alpha; the reported one is that or
            # an exact likelihood's (alpha_method)
            assert in_seg["alpha"].mean() == pytest.approx(seg["alpha_network"])
            if seg["alpha_method"].startswith("network"):
                assert seg["alpha"] == pytest.approx(seg["alpha_network"])
            assert np.allclose(in_seg["segment_alpha"], seg["alpha"])
            assert in_seg[f"p_{seg['model']}"].mean() == pytest.approx(seg["probability"])


def test_file_columns_come_back_under_the_files_own_names(tmp_path, fake_weights):
    table = simulated_table(n_tracks=2, length=60)
    saspt = table.rename(columns={"track_id": "trajectory"})[["trajectory", "frame", "y", "x", "intensity"]]
    path = tmp_path / "saspt.csv"
    saspt.to_csv(path, index=False)
    points, _ = segment(path, weights=fake_weights)
    assert list(points.columns[:5]) == ["trajectory", "frame", "y", "x", "intensity"]
    pd.testing.assert_frame_equal(points[saspt.columns], pd.read_csv(path))
    assert "track_id" not in points.columns


def test_dataframe_input_keeps_index_columns_and_order(tiny_weights):
    table = simulated_table(n_tracks=2)[["y", "quality", "frame", "x", "track_id", "cell"]]
    table.index = np.arange(len(table))[::-1] * 3  # an index that is not 0..n-1
    points, _ = segment(table, weights=tiny_weights, device="cpu")
    pd.testing.assert_frame_equal(points[table.columns], table)
    np.testing.assert_array_equal(points["row"], np.arange(len(table)))
    assert list(points.columns) == [*table.columns, "row", *ADDED]


def test_unsorted_rows_give_the_same_predictions(tiny_weights):
    table = simulated_table()
    ref, ref_segments = segment(table, weights=tiny_weights, device="cpu")
    shuffled = table.iloc[np.random.default_rng(1).permutation(len(table))]
    points, segments = segment(shuffled, weights=tiny_weights, device="cpu")
    pd.testing.assert_frame_equal(points[table.columns], shuffled)  # output in the input's order
    back = points.sort_index()
    for name in ADDED:
        pd.testing.assert_series_equal(back[name], ref[name])
    columns = [c for c in segments.columns if c != "first_row"]
    pd.testing.assert_frame_equal(segments[columns], ref_segments[columns])


def test_tasks_alpha_only_and_model_only(tiny_weights):
    table = simulated_table(n_tracks=2)
    points, segments = segment(table, tasks=("alpha",), weights={"alpha": tiny_weights["alpha"]})
    assert not any(c == "model" or c.startswith("p_") for c in points.columns)
    assert "model" not in segments and "probability" not in segments
    assert {"alpha", "segment_alpha", "segment"} <= set(points.columns)
    points, segments = segment(table, tasks="model", weights={"model": tiny_weights["model"]})
    assert "alpha" not in points and "segment_alpha" not in points and "alpha" not in segments
    assert {"model", "p_fbm", "segment"} <= set(points.columns)


def test_progress_callable_and_tqdm_like(tiny_weights):
    table = simulated_table(n_tracks=3)
    calls = []
    segment(table, weights=tiny_weights, batch_size=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (2 * len(table), 2 * len(table))
    assert [c[0] for c in calls] == sorted(c[0] for c in calls) and len(calls) == 4  # 2 chunks x 2 tasks

    class Bar:
        total, n = None, 0

        def update(self, k):
            self.n += k

    bar = Bar()
    segment(table, weights=tiny_weights, progress=bar)
    assert bar.total == bar.n == 2 * len(table)


# --- segmentation logic on a known output (fake predictor) -------------------------------------------


def test_combine_changepoints_keeps_alpha_and_distant_model_changepoints():
    # alpha at 60; model at 63 (same change, within min_gap) and 105; 5 is too close to the start
    np.testing.assert_array_equal(combine_changepoints([60], [5, 63, 105], 120, 10), [60, 105])
    np.testing.assert_array_equal(combine_changepoints([], [30, 80], 120, 10), [30, 80])
    np.testing.assert_array_equal(combine_changepoints([40], [], 120, 10), [40])
    np.testing.assert_array_equal(combine_changepoints([40], [45, 49, 50, 115], 120, 10), [40, 50])
    assert combine_changepoints([], [], 50, 10).dtype == np.int64


def test_segments_merge_both_tasks(fake_weights):
    # the networks' rules alone (the likelihood would re-estimate alpha from the positions)
    points, segments = segment(simulated_table(n_tracks=2), weights=fake_weights, likelihood=False)
    track = segments[segments["track_id"] == 10]
    # alpha changes at 60, model at 63 (same change) and at 105 (model only)
    assert track["first_frame"].tolist() == [5, 65, 110]
    assert track["length"].tolist() == [60, 45, 15]
    np.testing.assert_allclose(track["alpha"], [0.5, 1.5, 1.5])
    assert track["model"].tolist() == ["fbm", "ctrw", "lw"]
    np.testing.assert_allclose(track["probability"], [0.8, (3 * 0.05 + 42 * 0.8) / 45, 0.8])
    assert (track["reason"] == "").all() and track["segment"].tolist() == [0, 1, 2]
    pts = rows_of(points, 10)
    assert pts["segment"].tolist() == [0] * 60 + [1] * 45 + [2] * 15
    assert pts["model"].tolist() == ["fbm"] * 63 + ["ctrw"] * 42 + ["lw"] * 15  # point-wise, not per segment
    np.testing.assert_allclose(pts["segment_alpha"], [0.5] * 60 + [1.5] * 60)


def test_single_task_changepoints(fake_weights):
    table = simulated_table(n_tracks=1)
    _, segments = segment(table, tasks=("alpha",), weights=fake_weights, likelihood=False)
    assert segments["length"].tolist() == [60, 60]
    _, segments = segment(table, tasks=("model",), weights=fake_weights)
    assert segments["length"].tolist() == [63, 42, 15]
    assert segments["model"].tolist() == ["fbm", "ctrw", "lw"]


def test_odd_rows_are_reported_and_split_tracks(fake_weights):
    table = simulated_table()
    # track 10: a missing position at its 61st point -> pieces of 60 and 59 points
    table.loc[(table["track_id"] == 10) & (table["frame"] == 65), "x"] = np.nan
    # track 11: frames 55..59 missing -> pieces of 50 and 65 points; track 12: frame 115 missing -> 9-point piece
    table = table[~((table["track_id"] == 11) & table["frame"].between(55, 59))]
    table = table[~((table["track_id"] == 12) & (table["frame"] == 115))]
    # track 13: two duplicates after the original rows, one NaN duplicate before its finite original
    dups = table[(table["track_id"] == 13) & table["frame"].isin([20, 21])].copy()
    dups["x"] += 5.0
    nan_dup = table[(table["track_id"] == 13) & (table["frame"] == 30)].assign(x=np.inf)
    short = pd.DataFrame({"track_id": 99, "frame": np.arange(10), "x": np.arange(10.0), "y": 0.0,
                          "intensity": 1.0, "cell": "cell9", "quality": 0})
    all_nan = pd.DataFrame({"track_id": 77, "frame": [0, 1, 2], "x": np.nan, "y": 0.0,
                            "intensity": 1.0, "cell": "cell7", "quality": 0})
    table = pd.concat([nan_dup, table, dups, short, all_nan], ignore_index=True)
    points, segments = segment(table, weights=fake_weights)

    assert len(points) == len(table)
    pd.testing.assert_frame_equal(points[table.columns], table)
    reason = points["reason"]
    assert reason.iloc[0] == "duplicate frame"  # the non-finite one of two rows of frame 30
    assert (reason.iloc[-13:-3] == "too short (10 < 20)").all()
    assert (reason.iloc[-3:] == "missing position").all()
    assert (reason.iloc[-15:-13] == "duplicate frame").all()
    assert (reason == "missing position").sum() == 4
    assert (reason == "duplicate frame").sum() == 3
    assert (reason == "too short (9 < 20)").sum() == 9

    not_analysed = reason != ""
    assert points.loc[not_analysed, ["alpha", "p_fbm", "segment_alpha"]].isna().all().all()
    assert points.loc[not_analysed, "model"].isna().all() and points.loc[not_analysed, "segment"].isna().all()
    assert points.loc[~not_analysed, ["alpha", "p_fbm", "model", "segment"]].notna().all().all()
    no_piece = reason.isin(["missing position", "duplicate frame"])
    assert points.loc[no_piece, "piece"].isna().all() and points.loc[~no_piece, "piece"].notna().all()

    def pieces(track_id):
        s = segments[segments["track_id"] == track_id]
        return s.groupby("piece")["length"].sum().to_dict(), s

    assert pieces(10)[0] == {0: 60, 1: 59}
    assert pieces(11)[0] == {0: 50, 1: 65}
    # piece 0: frames 5..54, cut at 25 (alpha) and 35 (lw); piece 1: frames 60..124, cut at 32 and 50
    assert pieces(11)[1]["first_frame"].tolist() == [5, 30, 40, 60, 92, 110]
    lengths, s12 = pieces(12)
    assert lengths == {0: 110, 1: 9}
    assert s12.iloc[-1]["reason"] == "too short (9 < 20)" and pd.isna(s12.iloc[-1]["segment"])
    assert pieces(13)[0] == {0: 120}  # duplicates change nothing
    s99 = segments[segments["track_id"] == 99]
    assert len(s99) == 1 and s99.iloc[0]["length"] == 10 and np.isnan(s99.iloc[0]["alpha"])
    assert s99.iloc[0]["model"] is None and s99.iloc[0]["reason"] == "too short (10 < 20)"
    s77 = segments[segments["track_id"] == 77]
    assert len(s77) == 1 and pd.isna(s77.iloc[0]["piece"]) and s77.iloc[0]["reason"] == "missing position"
    assert segments["track_id"].tolist() == sorted(segments["track_id"])


def test_duplicates_and_nan_rows_do_not_change_other_predictions(tiny_weights):
    table = simulated_table(n_tracks=2)
    ref, _ = segment(table, weights=tiny_weights)
    dups = table.iloc[[3, 4, 200]].assign(x=lambda d: d["x"] + 1.0)
    nan_first = table.iloc[[7]].assign(y=np.nan)
    points, _ = segment(pd.concat([nan_first, table, dups], ignore_index=True), weights=tiny_weights)
    core = points.iloc[1 : 1 + len(table)].reset_index(drop=True)
    for name in ADDED:
        pd.testing.assert_series_equal(core[name], ref[name])
    assert points["reason"].iloc[[0, -3, -2, -1]].tolist() == ["duplicate frame"] * 4


def test_missing_track_ids_and_string_ids(fake_weights):
    table = simulated_table(n_tracks=2)
    table["track_id"] = np.where(table["track_id"] == 10, "cell-a", "cell-b").astype(object)
    table.loc[[0, 130], "track_id"] = None  # first point of cell-a, a middle point of cell-b
    unusable = pd.DataFrame({"track_id": "cell-c", "frame": [0, 0, 1], "x": [np.nan, 1.0, np.inf], "y": 0.0})
    points, segments = segment(pd.concat([table, unusable], ignore_index=True), weights=fake_weights)
    assert points["reason"].iloc[[0, 130]].tolist() == ["missing track id"] * 2
    assert points["piece"].iloc[[0, 130]].isna().all()
    assert segments.groupby("track_id")["length"].sum().to_dict() == {"cell-a": 119, "cell-b": 119, "cell-c": 1}
    assert segments.loc[segments["track_id"] == "cell-b", "piece"].unique().tolist() == [0, 1]
    # cell-c: frame 0 twice (the finite one kept), frame 1 missing -> a 1-point piece, too short
    cell_c = segments[segments["track_id"] == "cell-c"]
    assert cell_c["reason"].tolist() == ["too short (1 < 20)"] and cell_c["length"].tolist() == [1]
    assert points["reason"].iloc[-3:].tolist() == ["duplicate frame", "too short (1 < 20)", "missing position"]
    only_missing = pd.DataFrame({"track_id": 5, "frame": [0, 1, 1], "x": [np.nan, np.nan, np.nan], "y": 0.0})
    _, segments = segment(pd.concat([table, only_missing], ignore_index=True), weights=fake_weights)
    row = segments[segments["track_id"] == 5]
    assert row["reason"].tolist() == ["duplicate frame; missing position"] and row["length"].tolist() == [3]


def test_missing_frame_column_numbers_points_in_row_order(fake_weights):
    table = simulated_table(n_tracks=1).drop(columns="frame")
    _, segments = segment(table, weights=fake_weights)
    assert segments["first_frame"].tolist() == [0, 60, 105]


def test_input_column_named_like_an_output_is_kept_with_suffix(fake_weights):
    table = simulated_table(n_tracks=1).assign(alpha=0.7, model="fbm")
    points, _ = segment(table, weights=fake_weights)
    assert (points["alpha_input"] == 0.7).all() and (points["model_input"] == "fbm").all()
    np.testing.assert_allclose(points["alpha"], [0.5] * 60 + [1.5] * 60)


def test_each_network_is_called_once_with_every_analysed_piece(fake_weights):
    table = simulated_table(n_tracks=4)
    table = table[~((table["track_id"] == 11) & (table["frame"] == 100))]  # pieces of 95 and 24 points
    segment(table, weights=fake_weights, batch_size=3)
    assert fake_weights["alpha"].calls == [5] and fake_weights["model"].calls == [5]


def test_pieces_reach_the_network_in_batches_of_equal_length(tiny_weights):
    """Grouped by length once (in the Predictor), batch_size pieces at most per forward pass."""
    table = simulated_table(n_tracks=4)
    table = table[~((table["track_id"] == 11) & (table["frame"] == 100))]  # pieces of 95 and 24 points
    shapes = []
    hook = tiny_weights["alpha"].net.register_forward_hook(lambda module, args, out: shapes.append(args[0].shape))
    try:
        segment(table, tasks="alpha", weights=tiny_weights, batch_size=3)
    finally:
        hook.remove()
    assert sorted((s[0], s[2]) for s in shapes) == [(1, 24), (1, 95), (1, 120), (2, 120)]  # (pieces, length)


# --- bad input: clear errors before any work ---------------------------------------------------------


def test_3d_table_is_refused_and_constant_z_kept(fake_weights):
    table = simulated_table(n_tracks=1)
    with pytest.raises(ValueError, match="3D"):
        segment(table.assign(z=np.arange(len(table), dtype=float)), weights=fake_weights)
    assert fake_weights["alpha"].calls == []
    points, _ = segment(table.assign(z=0.0), weights=fake_weights)
    assert (points["z"] == 0.0).all()


@pytest.mark.parametrize("drop, message", [("y", "only 2D"), ("track_id", "track_id"), ("x", "only 2D")])
def test_missing_columns_are_refused(fake_weights, drop, message):
    with pytest.raises(ValueError, match=message):
        segment(simulated_table(n_tracks=1).drop(columns=drop), weights=fake_weights)
    assert fake_weights["alpha"].calls == []


def test_bad_arguments_are_refused(fake_weights, tmp_path):
    table = simulated_table(n_tracks=1)
    with pytest.raises(ValueError, match="tasks"):
        segment(table, tasks=("msd",), weights=fake_weights)
    with pytest.raises(ValueError, match="alpha network"):
        segment(table, weights={"alpha": fake_weights["model"], "model": fake_weights["model"]})
    with pytest.raises(ValueError, match="unknown task"):
        segment(table, weights={"alfa": "alpha"})
    with pytest.raises(ValueError, match="min_length"):
        segment(table, weights=fake_weights, min_length=10)
    with pytest.raises(ValueError, match="format"):
        segment(table, weights=fake_weights, format="csv")
    with pytest.raises(TypeError, match="DataFrame"):
        segment({"x": [0.0]}, weights=fake_weights)
    with pytest.raises(ValueError, match=r"\(N, L, 2\)"):
        segment(table[["x", "y"]].to_numpy(), weights=fake_weights)
    with pytest.raises(ValueError, match="columns="):
        segment(np.zeros((1, 30, 2)), weights=fake_weights, columns={"x": "x"})
    with pytest.raises(ValueError, match="no such file"):
        segment(tmp_path / "missing.csv", weights=fake_weights)


def test_the_shortest_piece_analysed_is_the_shortest_the_networks_take(tiny_weights):
    """A piece of MIN_TRACK_LENGTH points goes through the real networks; one point fewer is reported
    too short, and asking segment() for shorter pieces than the networks take is refused."""
    lengths = (MIN_TRACK_LENGTH, MIN_TRACK_LENGTH - 1)
    walk = np.cumsum(np.random.default_rng(3).standard_normal((sum(lengths), 2)), axis=0)  # a moving particle
    table = pd.DataFrame({"track_id": np.repeat([10, 11], lengths),
                          "frame": np.concatenate([np.arange(n) for n in lengths]), "x": walk[:, 0], "y": walk[:, 1]})
    points, segments = segment(table, weights=tiny_weights)
    too_short = f"too short ({MIN_TRACK_LENGTH - 1} < {MIN_TRACK_LENGTH})"
    assert points.loc[points["track_id"] == 10, "alpha"].notna().all()
    assert (points.loc[points["track_id"] == 11, "reason"] == too_short).all()
    assert segments.groupby("track_id")["reason"].first().tolist() == ["", too_short]
    with pytest.raises(ValueError, match="at least"):
        tiny_weights["alpha"].predict(np.zeros((1, MIN_TRACK_LENGTH - 1, 2)))
    with pytest.raises(ValueError, match="networks' minimum"):
        segment(table, weights=tiny_weights, min_length=MIN_TRACK_LENGTH - 1)


# --- files -------------------------------------------------------------------------------------------


def test_write_outputs_csv_round_trip(tmp_path, fake_weights):
    table = simulated_table(n_tracks=2)
    points, segments = segment(table, weights=fake_weights)
    paths = write_outputs(points, segments, tmp_path / "out", "cells")
    assert [p.name for p in paths] == ["cells_points.csv", "cells_segments.csv"]
    back = pd.read_csv(paths[0])
    assert len(back) == len(table) and list(back.columns) == list(points.columns)
    np.testing.assert_allclose(back["alpha"], points["alpha"])
    assert len(pd.read_csv(paths[1])) == len(segments)


def test_write_outputs_plots_through_uandi_plot(tmp_path, fake_weights, monkeypatch):
    calls = []
    fake_plot = types.SimpleNamespace(
        track_figure=lambda positions, **kw: calls.append(("track", positions.shape, kw)),
        summary_figure=lambda table, path=None: calls.append(("summary", len(table), path)),
    )
    monkeypatch.setitem(sys.modules, "uandi.plot", fake_plot)
    monkeypatch.setattr(uandi, "plot", fake_plot, raising=False)
    table = simulated_table(n_tracks=3)
    table = table[~((table["track_id"] == 11) & (table["frame"] == 100))]  # pieces of 95 and 24 points
    points, segments = segment(table, weights=fake_weights)
    paths = write_outputs(points, segments, tmp_path, "cells", plot=True, max_plots=3)
    tracks = [c for c in calls if c[0] == "track"]
    assert [c[1] for c in tracks] == [(120, 2), (120, 2), (95, 2)]  # the longest pieces first
    kw = tracks[2][2]
    np.testing.assert_array_equal(kw["changepoints"], [47, 80])
    assert kw["proba"].shape == (95, 5) and kw["alpha_pred"].shape == (95,) and tuple(kw["classes"]) == MODELS
    assert paths[-1].name == "cells_summary.png" and calls[-1][:2] == ("summary", 11)  # 3 + (3 + 2) + 3 segments
    assert [p.name for p in paths[2:4]] == ["cells_track10_piece0.png", "cells_track12_piece0.png"]


def test_write_outputs_real_figures(tmp_path, fake_weights):
    pytest.importorskip("uandi.plot")
    points, segments = segment(simulated_table(n_tracks=2), tasks=("alpha",), weights=fake_weights)
    paths = write_outputs(points, segments, tmp_path, "cells", plot=True, max_plots=1)
    assert [p.name for p in paths] == ["cells_points.csv", "cells_segments.csv", "cells_track10_piece0.png",
                                       "cells_summary.png"]
    assert all(p.stat().st_size > 1000 for p in paths[2:])


# --- real data ---------------------------------------------------------------------------------------

def test_real_saspt_csv_every_row_once(tiny_weights, real_data):
    path = real_data / "saspt_sample_tracks.csv"
    points, segments = segment(path, weights=tiny_weights)
    n = len(read_tracks(path))
    assert len(points) == n and points["row"].tolist() == list(range(n))
    analysed = points["reason"] == ""
    assert analysed.any() and points["reason"].str.startswith("too short").any()
    assert points.loc[analysed, "alpha"].notna().all()
    # every analysed point lies in exactly one segment row
    assert segments.loc[segments["reason"] == "", "length"].sum() == analysed.sum()
    in_pieces = (points["reason"] == "") | points["reason"].str.startswith(("too short", "immobile"))
    assert segments.loc[segments["piece"].notna(), "length"].sum() == in_pieces.sum()


def test_real_granik_mat_every_row_once(tiny_weights, real_data):
    path = real_data / "granik2019_brownian_beads.mat"
    points, segments = segment(path, weights=tiny_weights)
    assert len(points) == 265229 and (points["row"].to_numpy() == np.arange(265229)).all()
    assert segments["track_id"].nunique() == 3420
    assert segments["length"].sum() == 265229  # every point in one segment or one too-short piece


def test_shipped_alpha_network_finds_brownian_beads_near_alpha_1(real_data):
    # the beads' camera blurs their steps (docs/real_data.md): the likelihood says so
    with pytest.warns(UandiNotice, match="motion-blurred"):
        points, _ = segment(real_data / "granik2019_brownian_beads.mat", tasks=("alpha",))
    long_pieces = points.groupby(["track_id", "piece"])["alpha"].transform("size") >= 100
    median = points.loc[long_pieces & (points["reason"] == ""), "alpha"].median()
    assert 0.7 < median < 1.2, f"median alpha {median:.2f} on Brownian beads"


# --- positions in, and the one path shared with Predictor.segment ------------------------------------


def test_positions_give_the_same_results_as_the_equivalent_table(fake_weights):
    x = dataset("model", 3, 80, np.random.default_rng(4)).x.astype(np.float64)  # (3, 80, 2)
    x[1, 30] = np.nan  # splits track 1 into pieces of 30 and 49 points, as in a table
    points, segments = segment(x, weights=fake_weights)
    table = pd.DataFrame({"track_id": np.repeat([0, 1, 2], 80), "frame": np.tile(np.arange(80), 3),
                          "x": x[:, :, 0].ravel(), "y": x[:, :, 1].ravel()})
    ref_points, ref_segments = segment(table, weights=fake_weights)
    pd.testing.assert_frame_equal(points, ref_points)
    pd.testing.assert_frame_equal(segments, ref_segments)
    assert segments.groupby("track_id")["piece"].nunique().tolist() == [1, 2, 1]
    list_points, _ = segment(list(x), weights=fake_weights)  # a list of (L_i, 2) arrays: the same
    pd.testing.assert_frame_equal(list_points, points)


@pytest.mark.parametrize("task", ["alpha", "model"])
def test_segment_tables_agree_with_predictor_segment(task, conv_predictor):
    """uandi.segment and Predictor.segment run the same per-track code: the same changepoints and
    per-segment values, to the last bit, by the rule in the network's card."""
    x = dataset("model", 5, 150, np.random.default_rng(6)).x.astype(np.float64)
    net = conv_predictor(task, {"method": "contrast", "window": 5, "threshold": 0.05, "min_gap": 10})
    by_track = net.segment(x, min_gap=12)
    _, segments = segment(x, tasks=task, weights={task: net}, min_gap=12)
    assert sum(len(track) for track in by_track) > 10  # several segments per track to compare
    for i, track in enumerate(by_track):
        rows = segments[segments["track_id"] == i]
        np.testing.assert_array_equal(rows["first_frame"].to_numpy()[1:], track.changepoints)
        np.testing.assert_array_equal(rows["length"], track.lengths)
        for name, values in track.values.items():
            if values.dtype == object:
                assert rows[name].tolist() == values.tolist(), name
            else:  # NaN where a value is not reported (e.g. no localization error detected)
                np.testing.assert_array_equal(rows[name].to_numpy(np.float64), values, err_msg=name)


def test_only_fbm_segments_get_the_likelihood(fake_weights, monkeypatch):
    # the fake diffusion-model network says fbm, ctrw, lw along the track, each with probability 0.8
    monkeypatch.setitem(LIKELIHOOD_SETTINGS, "min_probability", 0.7)  # every class sure (segment means 0.75-0.8)
    _, seg = segment(simulated_table(n_tracks=1), weights=fake_weights)
    fbm = seg["model"] == "fbm"
    assert fbm.any() and (seg.loc[fbm, "alpha_method"] == "likelihood").all()
    assert seg.loc[~fbm, "alpha_method"].str.startswith("network (segment classified").all()
    assert seg.loc[~fbm, "K"].isna().all()
    np.testing.assert_array_equal(seg.loc[~fbm, "alpha"], seg.loc[~fbm, "alpha_network"])
    # a class less probable than min_probability is doubtful: the network's alpha stays, and says why
    monkeypatch.setitem(LIKELIHOOD_SETTINGS, "min_probability", 0.85)
    _, seg = segment(simulated_table(n_tracks=1), weights=fake_weights)
    assert (seg.loc[fbm, "alpha_method"] == "network (classified fbm with probability 0.80 < 0.85)").all()
    assert seg["K"].isna().all()
    np.testing.assert_array_equal(seg["alpha"], seg["alpha_network"])


def test_a_doubtful_class_of_any_model_is_said_to_be_doubtful(fake_weights, monkeypatch):
    """The fake diffusion-model network says fbm, ctrw, lw, each with probability 0.8 (segment means 0.75-0.8):
    under min_probability 0.85 the CTRW and LW segments, too, say that their class is a guess."""
    monkeypatch.setitem(LIKELIHOOD_SETTINGS, "min_probability", 0.85)
    _, seg = segment(simulated_table(n_tracks=1), weights=fake_weights)
    for model in ("ctrw", "lw"):
        rows = seg[seg["model"] == model]
        method = rows["alpha_method"]
        assert len(rows) and method.str.fullmatch(rf"network \(classified {model} with probability 0\.[78]\d < 0\.85\)").all()
