"""The shipped models: load offline from the package, carry complete cards, and make sense physically."""

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import uandi
from uandi.weights import sha256
from uandi.simulate import dataset, trajectories

WEIGHTS = Path(str(resources.files("uandi") / "weights"))


@pytest.mark.parametrize("name", ["alpha", "model"])
def test_card_is_complete_and_matches_the_file(name):
    f = WEIGHTS / f"{name}.safetensors"
    card = json.loads(f.with_suffix(".json").read_text())
    assert f.stat().st_size < 25 * 2**20
    assert card["sha256"] == sha256(f)
    assert card["task"] == name
    for key in ("config", "training", "validation", "software", "postprocess" if name == "alpha" else "config"):
        assert key in card, key
    assert card["training"]["trajectory_passes"] > 0 and card["training"]["hours"] > 0
    assert card["training"]["recipe"]["lengths"][0] <= 50 and card["training"]["recipe"]["lengths"][1] >= 500
    if name == "model":
        assert card["classes"] == list(uandi.MODELS)


def test_shipped_alpha_reads_fbm_exponents():
    rng = np.random.default_rng(0)
    m = uandi.load("alpha")
    for alpha in (0.3, 1.0, 1.6):
        x = trajectories("fbm", 64, 300, alpha, rng)
        pred = m.predict(x)[:, 20:-20]  # away from the ends, where a window sees the whole context
        # single-segment FBM: the network's median error should sit well inside its training spread
        assert abs(np.median(pred) - alpha) < 0.15, (alpha, np.median(pred))


def test_shipped_model_tells_the_models_apart_better_than_chance():
    m = uandi.load("model")
    d = dataset("model", 200, 300, np.random.default_rng(1))
    acc = (m.predict(d.x) == d.model).mean()
    assert acc > 0.6  # chance is 0.2; the validation mDice in the card is higher still


def test_shipped_models_work_on_any_length():
    rng = np.random.default_rng(2)
    tracks = [rng.standard_normal((n, 2)).cumsum(0) for n in (20, 57, 1000)]
    assert [len(a) for a in uandi.load("alpha").predict(tracks)] == [20, 57, 1000]
    assert [p.shape for p in uandi.load("model").predict_proba(tracks)] == [(20, 5), (57, 5), (1000, 5)]
