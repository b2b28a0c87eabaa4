"""Simulated datasets on disk: a self-describing folder of shards, written in parallel, read memory-mapped.

Layout of a dataset folder:
    meta.json                  task, length, n, seed, every simulation option, package version, shards
    shard-00000/x.npy          positions (k, L, 2) float32
    shard-00000/alpha.npy      point-wise alpha (k, L) float32
    shard-00000/model.npy      point-wise class id (k, L) int8, order uandi.MODELS
    shard-00000/changepoints.npy  (k, 4) int32, padded with -1
Shard i is simulated with numpy.random.default_rng([seed, i]), so the content does not depend on how
many workers wrote it.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..simulate._common import check_n
from ..simulate.compose import dataset as simulate_dataset

FORMAT = "uandi-dataset"
ARRAYS = ("x", "alpha", "model", "changepoints")
MAX_CHANGEPOINTS = 4


def _shard_name(i: int) -> str:
    return f"shard-{i:05d}"


def _write_shard(out: str, index: int, n: int, task: str, length: int, seed: int, options: dict) -> int:
    rng = np.random.default_rng([seed, index])
    data = simulate_dataset(task, n, length, rng, **options)
    cps = np.full((n, MAX_CHANGEPOINTS), -1, dtype=np.int32)
    for i, c in enumerate(data.changepoints):
        cps[i, : len(c)] = c
    folder = Path(out) / _shard_name(index)
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in (("x", data.x), ("alpha", data.alpha), ("model", data.model), ("changepoints", cps)):
        np.save(folder / f"{name}.npy", arr)
    return n


def write_dataset(
    out,
    task: str,
    n: int,
    length: int,
    seed: int,
    *,
    workers: int = 1,
    shard_size: int = 10_000,
    progress=None,
    **options,
) -> Path:
    """Simulate `n` trajectories and write them as a dataset folder; returns its path.

    Memory stays bounded by `workers * shard_size` trajectories whatever n is. `progress`, if given, is
    called with the number of trajectories each time a shard is done (e.g. a tqdm bar's update).
    `options` go to uandi.simulate.dataset (n_segments, min_alpha_jump, scale, noise, ...).
    """
    from .. import __version__

    out = Path(out)
    check_n(n)
    # Check every option once, on a tiny batch, before any worker starts.
    simulate_dataset(task, 1, length, np.random.default_rng(0), **options)
    if workers < 1 or shard_size < 1:
        raise ValueError(f"workers and shard_size must be >= 1, got {workers} and {shard_size}")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"output folder {out} exists and is not empty; choose a new --out folder")
    out.mkdir(parents=True, exist_ok=True)
    sizes = [min(shard_size, n - start) for start in range(0, n, shard_size)]
    jobs = [(str(out), i, k, task, length, seed, options) for i, k in enumerate(sizes)]
    t0 = time.time()
    if workers == 1:
        for job in jobs:
            done = _write_shard(*job)
            if progress:
                progress(done)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(_write_shard, *zip(*jobs)):
                if progress:
                    progress(done)
    meta = {
        "format": FORMAT,
        "task": task,
        "n": n,
        "length": length,
        "seed": seed,
        "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()},
        "package_version": __version__,
        "shards": [{"name": _shard_name(i), "n": k} for i, k in enumerate(sizes)],
        "seconds": round(time.time() - t0, 2),
        "arrays": {"x": "(n, L, 2) float32", "alpha": "(n, L) float32", "model": "(n, L) int8",
                   "changepoints": "(n, 4) int32, -1 padded"},
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out


@dataclass
class DiskDataset:
    """A dataset folder opened memory-mapped. Index i -> (x (L, 2), alpha (L,), model (L,), changepoints)."""

    path: Path
    meta: dict
    shards: list  # one dict of memory-mapped arrays per shard
    offsets: np.ndarray  # first global index of each shard

    @property
    def task(self) -> str:
        return self.meta["task"]

    @property
    def length(self) -> int:
        return int(self.meta["length"])

    def __len__(self) -> int:
        return int(self.meta["n"])

    def _locate(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for a dataset of {len(self)} trajectories")
        i %= len(self)
        s = int(np.searchsorted(self.offsets, i, side="right") - 1)
        return self.shards[s], i - int(self.offsets[s])

    def __getitem__(self, i: int):
        shard, j = self._locate(i)
        cps = shard["changepoints"][j]
        return shard["x"][j], shard["alpha"][j], shard["model"][j], cps[cps >= 0].astype(np.int64)

    def arrays(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows start..stop of one array across shards (copied into memory)."""
        stop = len(self) if stop is None else min(stop, len(self))
        parts = []
        for s, shard in enumerate(self.shards):
            lo, hi = int(self.offsets[s]), int(self.offsets[s]) + shard[name].shape[0]
            a, b = max(start, lo), min(stop, hi)
            if a < b:
                parts.append(np.asarray(shard[name][a - lo : b - lo]))
        return np.concatenate(parts, axis=0)

    def changepoint_list(self, start: int = 0, stop: int | None = None) -> list:
        return [c[c >= 0].astype(np.int64) for c in self.arrays("changepoints", start, stop)]


def read_dataset(path) -> DiskDataset:
    """Open a dataset folder written by `write_dataset` (or `uandi simulate`), memory-mapped."""
    path = Path(path)
    meta_file = path / "meta.json"
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"{path} is not a uandi dataset folder (no meta.json); create one with `uandi simulate --out {path}`"
        )
    meta = json.loads(meta_file.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{meta_file} does not describe a uandi dataset (format {meta.get('format')!r})")
    shards, offsets, total = [], [], 0
    for info in meta["shards"]:
        folder = path / info["name"]
        arrays = {}
        for name in ARRAYS:
            f = folder / f"{name}.npy"
            if not f.is_file():
                raise FileNotFoundError(
                    f"dataset {path} is incomplete: {f} is missing; re-create the folder with `uandi simulate`"
                )
            arrays[name] = np.load(f, mmap_mode="r", allow_pickle=False)
            if arrays[name].shape[0] != info["n"]:
                raise ValueError(f"{f} holds {arrays[name].shape[0]} rows but meta.json says {info['n']}")
        shards.append(arrays)
        offsets.append(total)
        total += info["n"]
    if total != meta["n"]:
        raise ValueError(f"dataset {path}: shards hold {total} trajectories but meta.json says {meta['n']}")
    return DiskDataset(path, meta, shards, np.asarray(offsets))
