"""uandi.plot: every figure renders a PNG from small synthetic arrays, with the panels its inputs ask for."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage

from uandi import plot
from uandi.constants import MODELS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
L = 60
CHANGEPOINTS = np.array([20, 45])


def assert_png(path):
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def panel_labels(fig):
    return [ax.get_label() for ax in fig.axes if ax.get_label() in ("trajectory", "alpha", "model")]


@pytest.fixture
def track():
    rng = np.random.default_rng(0)
    alpha_true = np.repeat([0.5, 1.5, 1.0], [20, 25, 15])
    labels_true = np.repeat([1, 3, 2], [20, 25, 15])
    logits = 3 * np.eye(len(MODELS))[labels_true] + rng.normal(size=(L, len(MODELS)))
    return {
        "positions": np.cumsum(rng.normal(size=(L, 2)), axis=0),
        "changepoints": CHANGEPOINTS,
        "alpha_pred": alpha_true + rng.normal(0, 0.05, L),
        "alpha_true": alpha_true,
        "proba": np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True),
        "labels_true": labels_true,
        "alpha_segment": np.repeat([0.55, 1.45, 0.95], [20, 25, 15]),
    }


@pytest.mark.parametrize(
    "given, panels",
    [
        ((), ["trajectory"]),
        (("alpha_pred",), ["trajectory", "alpha"]),
        (("alpha_pred", "alpha_true"), ["trajectory", "alpha"]),
        (("labels_true",), ["trajectory", "model"]),
        (("alpha_true", "proba", "labels_true"), ["trajectory", "alpha", "model"]),
        (("alpha_segment",), ["trajectory", "alpha"]),
    ],
)
def test_track_figure_panels_follow_inputs(track, given, panels):
    args = {key: track[key] for key in given}
    fig = plot.track_figure(track["positions"], track["changepoints"], **args)
    assert panel_labels(fig) == panels


def test_track_figure_content(track, tmp_path):
    fig = plot.track_figure(**track, title="one track", path=tmp_path / "t.png")
    assert_png(tmp_path / "t.png")
    axes = {ax.get_label(): ax for ax in fig.axes}
    # heatmap: classes x time
    images = [a for a in axes["model"].get_children() if isinstance(a, AxesImage)]
    assert len(images) == 1
    np.testing.assert_allclose(images[0].get_array(), track["proba"].T)
    # the trajectory: one line per segment (3) plus start and end markers
    assert len(axes["trajectory"].get_lines()) == len(CHANGEPOINTS) + 1 + 2
    # dashed vertical lines at the changepoints in the alpha panel
    dashed = [ln for ln in axes["alpha"].get_lines() if ln.get_linestyle() == "--"]
    assert sorted(ln.get_xdata()[0] for ln in dashed) == CHANGEPOINTS.tolist()
    assert [t.get_text() for t in axes["model"].get_yticklabels()] == [m.upper() for m in MODELS]
    # the alpha reported per segment: one dotted step through its values
    dotted = [ln for ln in axes["alpha"].get_lines() if ln.get_label() == "reported per segment"]
    assert len(dotted) == 1 and np.array_equal(dotted[0].get_ydata(), track["alpha_segment"])


def test_track_figure_band_of_the_segment_interval(track):
    """alpha_segment_se draws alpha +- 1.96 se as one band, clipped to 0-2, and none where it is NaN."""
    se = np.repeat([0.1, np.nan, 0.6], [20, 25, 15])
    fig = plot.track_figure(track["positions"], track["changepoints"], alpha_segment=track["alpha_segment"],
                            alpha_segment_se=se)
    ax = {a.get_label(): a for a in fig.axes}["alpha"]
    bands = [c for c in ax.collections if c.get_label() == "95 % interval"]
    assert len(bands) == 1
    ys = np.concatenate([path.vertices[:, 1] for path in bands[0].get_paths()])
    ys = ys[np.isfinite(ys)]
    # first segment 0.55 +- 0.196, last 0.95 +- 1.176 clipped to [0, 2]; the NaN middle adds nothing
    np.testing.assert_allclose([ys.min(), ys.max()], [0.0, 2.0])
    assert np.any(np.isclose(ys, 0.55 - 0.196)) and np.any(np.isclose(ys, 0.55 + 0.196))
    assert not np.any(np.isclose(ys, 1.45))
    no_band = plot.track_figure(track["positions"], track["changepoints"], alpha_segment=track["alpha_segment"])
    assert not [c for c in {a.get_label(): a for a in no_band.axes}["alpha"].collections
                if c.get_label() == "95 % interval"]


@pytest.mark.parametrize(
    "bad",
    [
        {"positions": np.zeros((L, 3))},
        {"alpha_segment_se": np.zeros(L - 1)},
        {"alpha_pred": np.zeros(L - 1)},
        {"alpha_segment": np.zeros(L + 1)},
        {"proba": np.zeros((L, 4))},
        {"changepoints": np.array([0, 20])},
        {"changepoints": np.array([L])},
    ],
)
def test_track_figure_rejects_mismatched_inputs(track, bad):
    with pytest.raises(ValueError):
        plot.track_figure(**{**track, **bad})


def test_examples_figure_grid(track, tmp_path):
    short = {"positions": track["positions"][:30], "alpha_pred": track["alpha_pred"][:30], "title": "short"}
    fig = plot.examples_figure([track, short, track], ncols=2, path=tmp_path / "ex.png")
    assert_png(tmp_path / "ex.png")
    assert len(fig.subfigs) == 2 * 2  # 2 rows x 2 columns, the last cell empty
    assert [len(panel_labels(sub)) for sub in fig.subfigs] == [3, 2, 3, 0]
    with pytest.raises(ValueError, match="unknown keys"):
        plot.examples_figure([{"positions": track["positions"], "alpha": track["alpha_true"]}])


def test_alpha_hist2d(tmp_path):
    rng = np.random.default_rng(1)
    true = rng.uniform(0.05, 2.0, 500)
    pred = true + 0.1  # MAE exactly 0.1
    fig = plot.alpha_hist2d(true, pred, path=tmp_path / "h.png")
    assert_png(tmp_path / "h.png")
    ax = fig.axes[0]
    assert "MAE = 0.1000" in ax.get_title()
    assert ax.get_xlim() == (0.0, 2.0) and ax.get_ylim() == (0.0, 2.0)
    assert len(fig.axes) == 2  # the histogram and its colour bar


def test_dc_histogram(tmp_path):
    dc = np.array([-2, -1, 0, 0, 0, 1, 3])
    fig = plot.dc_histogram(dc, tp=7, fp=2, fn=1, threshold=10, path=tmp_path / "dc.png")
    assert_png(tmp_path / "dc.png")
    ax = fig.axes[0]
    heights = {round(p.get_x() + p.get_width() / 2): p.get_height() for p in ax.patches}
    assert sorted(heights) == list(range(-9, 10))  # one bar per |dc| < threshold
    assert heights[0] == 3 and heights[-2] == 1 and heights[2] == 0
    assert "F1 = 0.8235" in ax.get_title()  # 14 / 17
    plot.dc_histogram([], tp=0, fp=0, fn=3, log=True, path=tmp_path / "dc_empty.png")
    assert_png(tmp_path / "dc_empty.png")


@pytest.mark.parametrize("normalize, cell", [(True, "75.0%"), (False, "3")])
def test_confusion_figure(tmp_path, normalize, cell):
    matrix = np.eye(len(MODELS), dtype=int) * 4
    matrix[0, :2] = [3, 1]  # ATTM: 3 right, 1 as CTRW
    fig = plot.confusion_figure(matrix, normalize=normalize, path=tmp_path / "c.png")
    assert_png(tmp_path / "c.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == len(MODELS) ** 2 and texts[0] == cell
    with pytest.raises(ValueError):
        plot.confusion_figure(np.ones((3, 3)))


def test_mae_by_alpha_figure(tmp_path):
    centers = np.linspace(0.1, 1.9, 10)
    mae = np.full(10, 0.1)
    mae[3] = np.nan  # empty bin: skipped
    fig = plot.mae_by_alpha_figure(centers, mae, counts=np.arange(10), path=tmp_path / "m.png")
    assert_png(tmp_path / "m.png")
    (line,) = [ln for ax in fig.axes for ln in ax.get_lines()]
    assert len(line.get_xdata()) == 9


def test_summary_figure(tmp_path):
    table = pd.DataFrame(
        {
            "alpha": [0.5, np.nan, 1.2, 0.8],
            "model": ["fbm", "FBM", np.nan, "ctrw"],
            "length": [20, 35, 50, 12],
        }
    )
    fig = plot.summary_figure(table, path=tmp_path / "s.png")
    assert_png(tmp_path / "s.png")
    assert len(fig.axes) == 3
    # points, not segments: fbm has 20 + 35 points, ctrw 12 (the segment without a model is left out)
    bars = fig.axes[1].patches
    assert [b.get_height() for b in bars] == pytest.approx([0, 12 / 67, 55 / 67, 0, 0])  # MODELS order
    assert fig.axes[1].get_ylabel() == "fraction of points"
    heights = [b.get_height() for b in fig.axes[0].patches]  # alpha histogram, in points
    assert sum(heights) == 20 + 50 + 12 and fig.axes[0].get_ylabel() == "points"
    for ax in (fig.axes[0], fig.axes[2]):  # counts: whole-number ticks only
        fig.canvas.draw()
        ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_track_figure_time_axis_shows_frames(track):
    fig = plot.track_figure(track["positions"], track["changepoints"], alpha_pred=track["alpha_pred"],
                            first_frame=120)
    alpha_ax = [ax for ax in fig.axes if ax.get_label() == "alpha"][0]
    (line,) = [ln for ln in alpha_ax.get_lines() if ln.get_label() == "predicted"]
    assert line.get_xdata()[0] == 120 and line.get_xdata()[-1] == 120 + len(track["positions"]) - 1
    dashed = [ln.get_xdata()[0] for ln in alpha_ax.get_lines() if ln.get_linestyle() == "--"]
    assert sorted(dashed) == [120 + c for c in sorted(track["changepoints"])]
    with pytest.raises(ValueError, match="first_frame must be an integer"):
        plot.track_figure(track["positions"], first_frame=1.5)


@pytest.mark.parametrize(
    "table, empty_panels",
    [
        (pd.DataFrame(columns=["alpha", "model", "length"]), 3),
        (pd.DataFrame({"alpha": [np.nan, np.nan], "model": [np.nan, None], "length": [10, 20]}), 2),
        (pd.DataFrame({"length": [10]}), 2),
    ],
)
def test_summary_figure_without_data(tmp_path, table, empty_panels):
    fig = plot.summary_figure(table, path=tmp_path / "s.png")
    assert_png(tmp_path / "s.png")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("no data") == empty_panels
