"""Worker processes for the likelihood stage: the tracks cut into contiguous chunks, one per process.

The exact likelihoods (uandi.likelihood) run many mid-sized matrix products and much per-segment numpy
work. A second BLAS thread barely speeds that up (docs/likelihood.md part G: the stage on 1,000 subtask-1
tracks took 4.7 s at 2 threads and 4.6 s at 1), and Python threads take turns at the interpreter; separate
processes, each with one BLAS thread, do run side by side (the segment fits 1.9-2.0x faster on 2 cores, the
whole stage 1.2-1.5x: part G). Each track's changepoints and fits depend on its own positions only, so the
chunks need nothing from each other; what couples the tracks (the penalty that follows their rate of
changes) is computed in the parent from the chunks' answers.

Work that every process will need (the likelihood's factors) can be handed to each ahead of time
(Workers.warm), to be done while the parent works alone and the processes would wait.

Processes start by "fork", on Linux only: they inherit the loaded modules and the likelihood's caches at
no cost, and a user's script needs no `if __name__ == "__main__"` guard, which "spawn" (macOS, Windows)
would demand of it. The workers run numpy and scipy only, never torch (whose thread pool does not survive
a fork). Elsewhere, and for small inputs, everything runs in this process; `workers=1` always does.

    with worker_pool(workers=2, points=5_000_000) as pool:   # None where it would not pay
        fit = fit_segments(pieces, groups=owner, workers=pool)
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

# below this many positions per process the work stays in one: each process computes its own factor caches
# again, which a small input does not repay. Measured with cold caches (`uandi.segment`, --tasks alpha, 2
# CPUs, two runs each): 500 tracks of 500 points (250,000) 5.4-6.2 s in two processes against 5.4-5.8 s in
# one, 1,000 tracks (500,000) 7.2-7.3 s against 7.9-9.2 s; the Granik beads (235,000 points, mostly short
# tracks) 15.2-16.4 s against 14.5-14.8 s
MIN_POINTS_PER_WORKER = 250_000
MAX_DEFAULT_WORKERS = 4  # each process keeps its own factor caches: about 0.35 GiB more per process (docs/likelihood.md F)


def fork_available() -> bool:
    """Whether worker processes can start here ("fork": Linux)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def available_workers() -> int:
    """The default number of worker processes: the CPUs this process may use (at most
    MAX_DEFAULT_WORKERS), 1 where processes cannot fork."""
    if not fork_available():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def split(weights, parts: int) -> list[slice]:
    """Contiguous slices of range(len(weights)), at most `parts` of them, none empty, of near-equal total
    weight (e.g. points per track)."""
    weights = np.asarray(weights, dtype=float)
    if len(weights) == 0:
        return []
    before = np.concatenate(([0.0], np.cumsum(weights)))  # (n + 1,) weight before each possible cut
    targets = before[-1] * np.arange(1, parts) / parts
    above = np.clip(np.searchsorted(before, targets), 1, len(weights))  # first cut at or past each target
    nearer = np.where(before[above] - targets <= targets - before[above - 1], above, above - 1)
    cuts = np.unique(np.concatenate(([0], nearer, [len(weights)])))
    return [slice(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


@dataclass
class Packed:
    """Arrays with rows of one shape and dtype ((n_i, ...) each) travelling to or from a worker as one: their
    rows concatenated, and each one's row count. Pickling and unpickling a list of 10,000 tracks or 17,000
    segments (80 MB) took 0.4-0.7 s, 5,000 tracks' changepoint posteriors 1.1 s, most of it per small
    object, with the workers waiting; one buffer of the same numbers is a memory copy."""

    flat: np.ndarray  # (sum n_i, ...)
    counts: np.ndarray  # (len,) rows of each array

    @classmethod
    def of(cls, arrays, dtype=float) -> "Packed":
        arrays = [np.asarray(a, dtype=dtype) for a in arrays]
        counts = np.array([len(a) for a in arrays], dtype=np.int64)
        return cls(np.concatenate(arrays) if arrays else np.zeros(0, dtype), counts)

    def unpack(self) -> list:
        """The arrays again (views into one buffer), in their order."""
        return np.split(self.flat, np.cumsum(self.counts)[:-1]) if len(self.counts) else []


def _one_blas_thread() -> None:
    """Each worker's initializer: one BLAS thread (the workers are the parallelism; more would contend)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


@dataclass
class Workers:
    """A pool of n worker processes (started by fork)."""

    pool: ProcessPoolExecutor
    n: int
    warming: list = field(default_factory=list)  # futures of warm()'s tasks not yet checked

    def warm(self, fn, *args) -> None:
        """Queue fn(*args) n times without waiting: each idle process takes one (work that every process
        will need, done while the parent works alone and the processes would idle). The next starmap's
        tasks queue behind them; it raises their errors."""
        self.warming += [self.pool.submit(fn, *args) for _ in range(self.n)]

    def starmap(self, fn, args: list) -> list:
        """fn(*a) for each a in args, in the workers; the answers in the order of args. A worker that dies
        (the system's out-of-memory killer, most likely) raises a MemoryError that says what to do, rather
        than leaving the stage waiting for an answer that will never come."""
        try:
            answers = list(self.pool.map(fn, *zip(*args)))
            for future in self.warming:
                future.result()
            self.warming.clear()
            return answers
        except BrokenProcessPool as e:
            raise MemoryError(f"a worker process of the likelihood stage ended abruptly ({self.n} processes; the "
                              "system may have run out of memory): use fewer (--workers / workers=, 1 = none) or "
                              "smaller inputs") from e


def active(workers: Workers | None) -> bool:
    """Whether work handed `workers` should be split (a pool of two or more processes)."""
    return workers is not None and workers.n > 1


@contextmanager
def small_pages():
    """numpy without transparent huge pages for the block (its setting restored after), in this process
    and in the worker processes forked inside it.

    On Linux numpy asks the kernel for 2 MiB pages (madvise) for every array of 4 MiB or more. Where the
    kernel then compacts memory to find them (transparent_hugepage/defrag "madvise", the common default),
    touching a new array first costs far more: 64 MiB took 380 ms against 36 ms with ordinary pages on the
    machine of docs/likelihood.md part G. The likelihood stage allocates hundreds of MiB of fresh factors
    and products; without huge pages it ran 1.7-1.9x faster in one process and 1.2-1.4x in two on 2,000
    tracks, 1.2-1.3x in one and no faster in two on 10,000 (part G). numpy's switch for it is private
    (the environment variable NUMPY_MADVISE_HUGEPAGE sets the same flag, at import only); where it is
    missing this does nothing."""
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    toggle = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if toggle is None:
        yield
        return
    before = toggle(False)
    try:
        yield
    finally:
        toggle(bool(before))


@contextmanager
def worker_pool(workers: int | None, points: int):
    """Workers for a stage over `points` positions in all: a Workers of min(workers,
    points // MIN_POINTS_PER_WORKER) processes, or None (run in this process) where that is under 2,
    processes cannot fork, or this process is itself a daemonic worker. workers: None =
    available_workers(). The processes end with the block."""
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise ValueError(f"workers must be a whole number >= 1 (or None: the CPUs available), got {workers!r}")
    n = available_workers() if workers is None else int(workers)
    n = min(n, int(points) // MIN_POINTS_PER_WORKER)
    # inside a daemonic process (a multiprocessing.Pool worker: a user segmenting files in parallel) no
    # process may start one of its own
    if n < 2 or not fork_available() or multiprocessing.current_process().daemon:
        yield None
        return
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=_one_blas_thread) as pool:
        yield Workers(pool, n)
