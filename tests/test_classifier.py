"""The WADNet trajectory classifier: trained on whole single-model trajectories, one label per track."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from uandi.data.stream import draw_length
from uandi.predict import load
from uandi.train import TrainConfig, loss_fn, train, validation_metric

TINY_CLASSIFIER = dict(preset="wadnet-model", model_overrides={"width": 4}, batch_size=8, lengths=(10, 60),
                       length_draw="log", sim_options={"n_segments": (1, 1)}, val_n=12, val_lengths=(30,))


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    out = tmp_path_factory.mktemp("classifier")
    train(TrainConfig(**TINY_CLASSIFIER, steps=2, val_every=2), out)
    return load(out)


def test_loss_and_metric_score_one_label_per_trajectory():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # (B, C): one row per trajectory
    target = torch.tensor([[2, 2, 2, 2], [1, 1, 1, 1]])  # (B, L): a single-model trajectory's points
    assert torch.allclose(loss_fn("model", logits, target), F.cross_entropy(logits, torch.tensor([2, 1])))
    # mDice over trajectories scored as one point each is the accuracy over trajectories
    pred = np.array([0, 1, 1])
    labels = np.array([[0] * 5, [0] * 5, [1] * 5])
    assert validation_metric("model", pred, labels, 3) == pytest.approx(2 / 3)
    alpha = torch.tensor([[0.7, 0.7], [1.2, 1.2]])
    assert torch.allclose(loss_fn("alpha", torch.tensor([[0.5], [1.2]]), alpha), torch.tensor(0.02))


def test_classifier_training_refuses_multi_segment_trajectories(tmp_path):
    cfg = TrainConfig(**{**TINY_CLASSIFIER, "sim_options": {}}, steps=1)
    with pytest.raises(ValueError, match="single-model"):
        train(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_classifier_gives_one_probability_row_per_track(classifier):
    rng = np.random.default_rng(3)
    tracks = [rng.normal(size=(n, 2)).cumsum(0) for n in (12, 40, 12, 300)]
    proba = classifier.predict_proba(tracks)
    assert classifier.trajectory_level
    assert proba.shape == (4, 5) and np.allclose(proba.sum(1), 1, atol=1e-6)
    assert np.array_equal(classifier.predict(tracks), proba.argmax(1))
    # a track's probabilities do not depend on the other tracks of the call
    assert np.allclose(classifier.predict_proba(tracks[1:2])[0], proba[1], atol=1e-6)
    assert classifier.predict_proba(np.stack([tracks[0], tracks[2]])).shape == (2, 5)
    with pytest.raises(ValueError, match="whole trajectories"):
        classifier.segment(tracks)
    with pytest.raises(ValueError, match="whole trajectories"):
        classifier.pointwise(tracks)


def test_log_uniform_lengths_stay_in_range_and_favour_short_tracks():
    rng = np.random.default_rng(0)
    lengths = np.array([draw_length(rng, (10, 1000), "log") for _ in range(4000)])
    assert lengths.min() >= 10 and lengths.max() <= 1000
    # log-uniform: half of the draws below the geometric mean (100); uniform would give 9 %
    assert abs(np.mean(lengths < 100) - 0.5) < 0.04
    with pytest.raises(ValueError, match="length_draw"):
        draw_length(rng, (10, 20), "cubic")
