"""Inference contract: shapes, lists of any length, clipping, probabilities, and clear errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from uandi.constants import MIN_TRACK_LENGTH
from uandi.predict import load
from uandi.weights import write_weights
from uandi.train import TrainConfig, train


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for task in ("alpha", "model"):
        train(TrainConfig(preset=f"tiny-{task}", steps=2, batch_size=8, val_n=8, val_every=2, lengths=(50, 60),
                          val_lengths=(50,)), root / task)
    return root


def walk(n, length, seed=0):
    return np.random.default_rng(seed).standard_normal((n, length, 2)).cumsum(axis=1)


def test_alpha_predict_shape_and_clipping(runs):
    m = load(runs / "alpha", device="cpu")
    assert m.task == "alpha"
    a = m.predict(walk(3, 77))
    assert a.shape == (3, 77) and a.dtype.kind == "f"
    assert a.min() >= 0.05 and a.max() <= 2.0


def test_model_proba_sums_to_one_and_predict_is_argmax(runs):
    m = load(runs / "model")
    assert m.task == "model" and m.classes == ("attm", "ctrw", "fbm", "lw", "sbm")
    x = walk(2, 64)
    p = m.predict_proba(x)
    assert p.shape == (2, 64, 5)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(m.predict(x), p.argmax(-1))


def test_list_of_lengths_comes_back_as_a_list_in_order(runs):
    m = load(runs / "alpha")
    tracks = [walk(1, L, seed=L)[0] for L in (MIN_TRACK_LENGTH, 301, 45, 301, 1000)]
    out = m.predict(tracks, batch_size=2)
    assert isinstance(out, list) and [len(o) for o in out] == [len(t) for t in tracks]
    # the same track alone gives the same answer as inside a mixed batch
    np.testing.assert_allclose(out[2], m.predict(tracks[2][None])[0], atol=1e-5)


def test_prediction_does_not_depend_on_units_or_offset(runs):
    m = load(runs / "alpha")
    x = walk(2, 120)
    np.testing.assert_allclose(m.predict(x), m.predict(3.7 * x + 100.0), atol=1e-4)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros(100), "shape"),
        (np.zeros((2, 100, 3)), "2D"),
        (np.zeros((100, 2)), r"x\[None\]"),
        (np.full((1, 50, 2), np.nan), "NaN"),
        (np.zeros((1, MIN_TRACK_LENGTH - 1, 2)), "at least"),
        ([np.zeros((50, 3))], "2D"),
        ("tracks.csv", "numpy array"),
    ],
)
def test_bad_positions_are_refused_with_a_clear_message(runs, bad, match):
    m = load(runs / "alpha")
    with pytest.raises((ValueError, TypeError), match=match):
        m.predict(bad)


def test_predict_proba_refused_for_alpha(runs):
    with pytest.raises(ValueError, match="predicts alpha"):
        load(runs / "alpha").predict_proba(walk(1, 50))


def test_unknown_network_name(tmp_path):
    with pytest.raises(ValueError, match="shipped network's name"):
        load("no-such-network")


def test_inference_imports_no_training_or_simulation_code():
    """`import uandi; uandi.load(...)` and a segmentation load only what inference needs (cheap, and no
    cycle back into training); checked in a fresh interpreter, where nothing else was imported first."""
    code = (
        "import sys, numpy as np, pandas as pd, uandi\n"
        "net = uandi.load('alpha', device='cpu')\n"
        "net.predict(np.cumsum(np.ones((1, 30, 2)), axis=1))\n"
        "uandi.segment(pd.DataFrame({'track_id': 0, 'frame': range(30), 'x': np.arange(30.0) ** 0.5,"
        " 'y': np.sin(np.arange(30.0))}), device='cpu')\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('uandi'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert {"uandi.predict", "uandi.weights", "uandi.segmentation"} <= loaded  # the check sees real imports
    for training_or_simulation in ("uandi.train", "uandi.simulate", "uandi.data.stream", "uandi.data.files"):
        assert training_or_simulation not in loaded


def test_corrupt_weights_file(tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a safetensors file at all")
    with pytest.raises(ValueError, match="not a readable"):
        load(bad)


def test_weights_that_do_not_match_their_config(runs, tmp_path):
    src = runs / "alpha" / "best.safetensors"
    card = json.loads(src.with_suffix(".json").read_text())
    card["config"]["width"] = 8  # the file holds a width-4 network
    dst = tmp_path / "mismatch.safetensors"
    dst.write_bytes(src.read_bytes())
    dst.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="does not match"):
        load(dst)


def test_weights_round_trip_without_a_card(runs, tmp_path):
    m = load(runs / "alpha")
    path = write_weights(m.net, m.config, tmp_path / "w.safetensors")
    path.with_suffix(".json").unlink()  # the config also lives in the file's own metadata
    x = walk(2, 60)
    np.testing.assert_allclose(load(path).predict(x), m.predict(x), atol=1e-6)


def test_negligible_weights_are_zeroed_on_loading(runs, tmp_path):
    """Weights below 1e-20 (subnormal products on CPU, 3x slower) load as exact zeros, and the
    outputs do not change."""
    import torch

    from uandi.weights import read_weights

    m = load(runs / "model")
    x = walk(3, 80)
    with torch.no_grad():
        weight = next(p for p in m.net.parameters() if p.dim() > 1)
        weight.view(-1)[:5] = torch.tensor([1e-30, -1e-25, 1e-21, 1e-39, 0.5])
    path = write_weights(m.net, m.config, tmp_path / "tiny.safetensors")
    state, _ = read_weights(path)
    loaded = next(t for k, t in state.items() if t.dim() > 1 and torch.equal(t.view(-1)[4:5], torch.tensor([0.5])))
    assert loaded.view(-1)[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    with torch.no_grad():
        weight.view(-1)[:4] = 0.0
    np.testing.assert_allclose(load(path).predict_proba(x), m.predict_proba(x), atol=1e-7)


def test_length_batches_group_equal_lengths_in_sorted_chunks():
    from uandi.predict import length_batches

    batches = length_batches([50, 30, 50, 50, 30, 70], batch_size=2)
    assert [b.tolist() for b in batches] == [[1, 4], [0, 2], [3], [5]]
    assert sorted(i for b in length_batches([5] * 7, 3) for i in b) == list(range(7))


def test_segment_uses_the_card_rule_and_overrides(conv_predictor):
    from uandi.postprocess import segment_track

    m = conv_predictor("alpha")  # no rule in its card: the paper's Appendix rule
    x = walk(3, 90)
    tracks = m.segment(x, likelihood=False)  # the network's rule alone
    assert len(tracks) == 3 and all(t.length == 90 and list(t.values) == ["alpha", "alpha_clipped"] for t in tracks)
    # the same as the per-track function with the card's rule
    alpha = m.predict(x)
    for t, a, positions in zip(tracks, alpha, x):
        ref = segment_track(positions, alpha=a, alpha_rule=m.postprocess_settings(), min_gap=10)
        np.testing.assert_array_equal(t.changepoints, ref.changepoints)
        np.testing.assert_array_equal(t["alpha"], ref["alpha"])
    # overrides: another method and its settings; a low threshold cuts the rough alpha(t) often
    few = sum(len(t) for t in m.segment(x, method="contrast", threshold=10.0, likelihood=False))
    assert few == 3
    assert sum(len(t) for t in m.segment(list(x), method="contrast", window=5, threshold=0.05, likelihood=False)) > 6
    with pytest.raises(ValueError, match="not settings"):
        m.segment(x, window=8)
    # by default the likelihood measures each segment: its columns, and a standard error per alpha
    (track, *_) = m.segment(x)
    assert {"alpha_se", "K", "K_se", "alpha_method"} <= set(track.values)
    assert np.all(np.isfinite(track["alpha_se"]) | (track["alpha_method"] != "likelihood"))  # a setting of the contrast rule, not of the card's Appendix rule


def test_segment_of_a_diffusion_model_network_names_classes(runs):
    m = load(runs / "model")
    (track,) = m.segment(walk(1, 80), method="labels", min_gap=1)
    assert list(track.values) == ["model", "probability"] and set(track["model"]) <= set(m.classes)
    assert np.all((track["probability"] > 0) & (track["probability"] <= 1))


def test_pointwise_is_what_the_postprocessing_reads(runs):
    a, m = load(runs / "alpha"), load(runs / "model")
    x = walk(2, 64)
    np.testing.assert_array_equal(np.stack(a.pointwise(x)), a.predict(x))
    np.testing.assert_array_equal(np.stack(m.pointwise(list(x), check_input=False)), m.predict_proba(x))
    done = []
    m.pointwise(x, batch_size=1, progress=done.append)
    assert done == [64, 64]


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_batch_size_must_be_a_positive_integer(conv_predictor, batch_size):
    x = np.cumsum(np.random.default_rng(0).normal(size=(2, 30, 2)), axis=1)
    net = conv_predictor("alpha")
    for method in (net.predict, net.pointwise):
        with pytest.raises(ValueError, match=r"batch_size \(tracks per network call\) must be an integer >= 1"):
            method(x, batch_size=batch_size)
