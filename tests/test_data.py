"""Dataset folders and streams: parallel writing is worker-independent, reading is memory-mapped,
streams are seeded per (seed, rank) and resumable, missing arrays give clear errors."""

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from uandi.data import read_dataset, write_dataset
from uandi.data.normalize import network_input, scaled_increments, zscore
from uandi.data.stream import FixedDataset, SimStream, StreamConfig


def test_folder_is_self_describing_and_worker_independent(tmp_path):
    a = write_dataset(tmp_path / "a", "model", 50, 60, seed=3, workers=1, shard_size=16, noise=0.1)
    b = write_dataset(tmp_path / "b", "model", 50, 60, seed=3, workers=2, shard_size=16, noise=0.1)
    meta = json.loads((a / "meta.json").read_text())
    assert meta["seed"] == 3 and meta["n"] == 50 and meta["options"]["noise"] == 0.1
    assert "package_version" in meta and [s["n"] for s in meta["shards"]] == [16, 16, 16, 2]
    da, db = read_dataset(a), read_dataset(b)
    assert isinstance(da.shards[0]["x"], np.memmap)
    for name in ("x", "alpha", "model", "changepoints"):
        np.testing.assert_array_equal(da.arrays(name), db.arrays(name))
    x, alpha, model, cps = da[17]
    assert x.shape == (60, 2) and alpha.shape == (60,) and 1 <= len(cps) <= 4
    assert np.all(np.diff(model.astype(int))[cps - 1] != 0)  # labels change at every changepoint


def test_different_seeds_differ(tmp_path):
    a = read_dataset(write_dataset(tmp_path / "a", "alpha", 8, 50, seed=1))
    b = read_dataset(write_dataset(tmp_path / "b", "alpha", 8, 50, seed=2))
    assert not np.array_equal(a.arrays("x"), b.arrays("x"))


def test_missing_array_and_missing_folder_are_reported(tmp_path):
    d = write_dataset(tmp_path / "d", "alpha", 5, 50, seed=0)
    (d / "shard-00000" / "alpha.npy").unlink()
    with pytest.raises(FileNotFoundError, match="alpha.npy is missing"):
        read_dataset(d)
    with pytest.raises(FileNotFoundError, match="uandi simulate"):
        read_dataset(tmp_path / "nowhere")


def test_existing_output_folder_is_not_overwritten(tmp_path):
    write_dataset(tmp_path / "d", "alpha", 5, 50, seed=0)
    with pytest.raises(FileExistsError):
        write_dataset(tmp_path / "d", "alpha", 5, 50, seed=0)


def test_bad_options_fail_before_any_folder_is_made(tmp_path):
    with pytest.raises(ValueError, match="noise"):
        write_dataset(tmp_path / "d", "alpha", 5, 50, seed=0, noise=-1.0)
    assert not (tmp_path / "d").exists()


def test_fixed_dataset_items(tmp_path):
    d = write_dataset(tmp_path / "d", "model", 6, 64, seed=0)
    ds = FixedDataset(d, "both")
    feats, y = ds[2]
    assert feats.shape == (4, 64) and y.shape == (64,) and y.dtype == torch.int64


def _take(stream, n, workers=0):
    loader = DataLoader(stream, batch_size=None, num_workers=workers)
    out = []
    for batch in loader:
        out.append(batch)
        if len(out) == n:
            return out


def test_stream_repeats_per_seed_and_rank_and_resumes(tmp_path):
    cfg = StreamConfig(task="alpha", batch_size=4, lengths=(60, 60))
    a = _take(SimStream(cfg, seed=1, rank=0), 4)
    b = _take(SimStream(cfg, seed=1, rank=0), 4)
    c = _take(SimStream(cfg, seed=1, rank=1), 4)
    d = _take(SimStream(cfg, seed=2, rank=0), 4)
    resumed = _take(SimStream(cfg, seed=1, rank=0, start_step=2), 2)
    for (xa, ya), (xb, yb) in zip(a, b):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not any(torch.equal(x, y) for (x, _), (y, _) in zip(a, c))  # another rank, another stream
    assert not any(torch.equal(x, y) for (x, _), (y, _) in zip(a, d))  # another seed, another stream
    assert torch.equal(resumed[0][0], a[2][0]) and torch.equal(resumed[1][1], a[3][1])


def test_stream_is_the_same_with_two_workers():
    cfg = StreamConfig(task="model", batch_size=3, lengths=(50, 50))
    one = _take(SimStream(cfg, seed=5), 4)
    two = _take(SimStream(cfg, seed=5), 4, workers=2)
    for (xa, ya), (xb, yb) in zip(one, two):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_normalisations():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 100, 2)).cumsum(1) * 5 + 7
    z = zscore(x)
    np.testing.assert_allclose(z.mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(1), 1, atol=1e-5)
    d = scaled_increments(x)
    assert np.all(d[:, 0] == 0)
    np.testing.assert_allclose((d[:, 1:] ** 2).sum(axis=(1, 2)) / (2 * 99), 1.0, rtol=1e-5)
    both = network_input(x, "both")
    assert both.shape == (3, 4, 100) and both.flags["C_CONTIGUOUS"]  # channels first, as the networks read
    np.testing.assert_array_equal(both[:, :2], zscore(x).transpose(0, 2, 1))
    np.testing.assert_array_equal(both[:, 2:], scaled_increments(x).transpose(0, 2, 1))
    assert np.all(np.isfinite(zscore(np.zeros((1, 30, 2)))))  # an immobile track stays finite
    with pytest.raises(ValueError, match="representation"):
        network_input(x, "fourier")


@pytest.mark.parametrize("representation", ["positions", "increments", "both"])
def test_network_input_does_not_depend_on_the_unit_of_the_positions(rng, representation):
    x = np.cumsum(rng.normal(size=(3, 50, 2)), axis=1) + 7.0  # (N, L, 2)
    reference = network_input(x, representation)
    assert np.array_equal(network_input(x * 2.0**600, representation), reference)  # exact powers of two
    for scale in (1e-300, 1e-12, 1e12, 1e300):
        np.testing.assert_allclose(network_input(x * scale, representation), reference, rtol=1e-5, atol=1e-5)
