"""Shared pytest fixtures: a seeded generator, one torch thread, the real-data folder, a small Predictor."""

import os
from pathlib import Path

import numpy as np
import pytest

# Real tracks live outside the repository (the project's shared folder); UANDI_REAL_DATA points elsewhere.
REAL_DATA = Path(os.environ.get("UANDI_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test: results do not depend on test order."""
    return np.random.default_rng(20240611)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """The tests' networks are tiny, and one thread runs them fastest; torch's default of one thread per
    core spins against any other process on a small machine (the suite took ~9 minutes instead of ~1
    on 2 shared cores). Torch is imported only if installed."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def real_data() -> Path:
    """The folder of real track files (see its README); the test is skipped where it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} is absent (set UANDI_REAL_DATA)")
    return REAL_DATA


@pytest.fixture
def conv_predictor():
    """make(task, postprocess) -> a real uandi Predictor around a 1x1 convolution with fixed weights:
    untrained nets give a flat output, this one follows the steps of the track (so post-processing has
    changes to find), and its card holds the rule `postprocess`."""
    torch = pytest.importorskip("torch")
    from uandi.nn import ModelConfig
    from uandi.predict import Predictor

    def make(task: str, postprocess: dict | None = None):
        n_outputs = 1 if task == "alpha" else 5
        net = torch.nn.Conv1d(2, n_outputs, kernel_size=1)  # (B, 2, L) scaled increments -> (B, n_outputs, L)
        with torch.no_grad():
            net.weight.copy_(torch.linspace(-0.4, 0.5, 2 * n_outputs).reshape(n_outputs, 2, 1))
            net.bias.fill_(1.0)  # alpha near 1, inside the clipping range
        config = ModelConfig(task=task, width=4, n_outputs=n_outputs)
        return Predictor(net, config, {"postprocess": postprocess} if postprocess else {}, torch.device("cpu"))

    return make


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """{"alpha": Predictor, "model": Predictor}: two tiny U-AnDi nets, 2 training steps each."""
    from uandi.predict import load
    from uandi.train import TrainConfig, train

    out = tmp_path_factory.mktemp("tiny_nets")
    weights = {}
    for task in ("alpha", "model"):
        cfg = TrainConfig(preset=f"tiny-{task}", steps=2, batch_size=8, val_n=8, val_every=2, lengths=(50, 60),
                          val_lengths=(50,), device="cpu")
        train(cfg, out / task)
        weights[task] = load(out / task, device="cpu")
    return weights
