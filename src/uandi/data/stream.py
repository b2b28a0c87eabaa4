"""Torch datasets: a fixed set read from a dataset folder, and an endless on-the-fly simulated stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from ..constants import MIN_SEGMENT, MODELS, class_indices
from ..simulate.blur import MIN_EXPOSURE
from ..simulate.compose import dataset as simulate_dataset
from .files import read_dataset
from .normalize import network_input


def targets_for(task: str, alpha: np.ndarray, model: np.ndarray, classes=MODELS) -> torch.Tensor:
    """The training target of a task, shape (N, L): alpha (float32), or the index of each point's model
    in `classes` (int64) - the class id itself for all five models, 0/1 for e.g. ("ctrw", "fbm")."""
    if task == "alpha":
        return torch.from_numpy(np.ascontiguousarray(alpha, dtype=np.float32))
    return torch.from_numpy(class_indices(model, classes, missing=-100))  # -100: ignored by cross-entropy


class FixedDataset(Dataset):
    """A dataset folder as a map-style torch Dataset: item i -> (features (C, L), target (L,))."""

    def __init__(self, path, representation: str, task: str | None = None, classes=MODELS):
        self.data = read_dataset(path)
        self.task = task or self.data.task
        self.representation = representation
        self.classes = tuple(classes)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i):
        x, alpha, model, _ = self.data[i]
        feats = network_input(np.asarray(x)[None], self.representation)[0]  # (C, L)
        y = targets_for(self.task, np.asarray(alpha)[None], np.asarray(model)[None], self.classes)[0]
        return torch.from_numpy(feats), y  # (C, L), (L,)


@dataclass(frozen=True)
class StreamConfig:
    """What the endless stream simulates. Lengths and noise are drawn per batch / per trajectory."""

    task: str = "alpha"
    batch_size: int = 64
    lengths: tuple = (200, 200)  # (min, max) trajectory length in points, one length per batch
    noise: tuple = (0.0, 0.0)  # (min, max) sigma_n, uniform per trajectory
    representation: str = "increments"
    # passed to uandi.simulate.dataset, except "blur_share": that share of the trajectories gets motion
    # blur, an exposure uniform in [0.001, 1] of the frame interval (the rest: instantaneous frames)
    sim_options: dict = field(default_factory=dict)
    classes: tuple = MODELS  # output classes of a model-task network (targets are indices into it)
    sim_task: str | None = None  # what to simulate, if not `task`: "model" trains alpha on the five-model mix
    length_draw: str = "uniform"  # "uniform" in lengths, or "log": log-uniform, short lengths as often as long


def options_for_length(sim_options: dict, length: int) -> dict:
    """Simulation options for one length: below 50 points, fewer than five 10-point segments fit, so the
    default number of segments (2 to 5) is capped at what fits."""
    opts = dict(sim_options)
    if length < 5 * MIN_SEGMENT and "n_segments" not in opts:
        most = max(1, length // MIN_SEGMENT)
        opts["n_segments"] = (min(2, most), most)
    return opts


def draw_length(rng: np.random.Generator, lengths: tuple, how: str = "uniform") -> int:
    """One trajectory length in points from (min, max), inclusive: uniform, or log-uniform ("log", as
    many lengths 10-100 as 100-1000)."""
    low, high = int(lengths[0]), int(lengths[1])
    if how == "uniform":
        return int(rng.integers(low, high + 1))
    if how == "log":
        return int(min(high, np.floor(np.exp(rng.uniform(np.log(low), np.log(high + 1))))))
    raise ValueError(f"length_draw must be 'uniform' or 'log'; got {how!r}")


def simulate_batch(cfg: StreamConfig, rng: np.random.Generator):
    """One training batch: (features (B, C, L) float32 tensor, targets (B, L) tensor)."""
    length = draw_length(rng, cfg.lengths, cfg.length_draw)
    noise = rng.uniform(cfg.noise[0], cfg.noise[1], cfg.batch_size) if cfg.noise[1] > 0 else 0.0
    opts = options_for_length(cfg.sim_options, length)
    blur_share = float(opts.pop("blur_share", 0.0))
    if blur_share > 0:  # drawn only when asked, so recipes without blur keep their random stream
        blurred = rng.random(cfg.batch_size) < blur_share
        opts["exposure"] = np.where(blurred, rng.uniform(MIN_EXPOSURE, 1.0, cfg.batch_size), 0.0)  # (B,)
    data = simulate_dataset(cfg.sim_task or cfg.task, cfg.batch_size, length, rng, noise=noise, **opts)
    feats = network_input(data.x, cfg.representation)  # (B, C, L)
    return torch.from_numpy(feats), targets_for(cfg.task, data.alpha, data.model, cfg.classes)


class SimStream(IterableDataset):
    """Endless stream of simulated batches; never the same trajectory twice.

    Batch number `step` is simulated with numpy.random.default_rng([seed, rank, step]): streams differ
    per (seed, rank), repeat exactly for the same ones, and resume exactly from `start_step`.
    DataLoader workers split the steps (worker w makes steps w, w + W, ...), and the DataLoader returns
    them round-robin, so the sequence is the same whatever the number of workers. Use batch_size=None
    in the DataLoader: every item is already a batch.
    """

    def __init__(self, cfg: StreamConfig, seed: int, rank: int = 0, start_step: int = 0):
        self.cfg, self.seed, self.rank, self.start_step = cfg, int(seed), int(rank), int(start_step)

    def __iter__(self):
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        step = self.start_step + wid
        while True:
            yield simulate_batch(self.cfg, np.random.default_rng([self.seed, self.rank, step]))
            step += nw
