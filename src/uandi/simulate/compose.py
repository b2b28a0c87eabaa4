"""Multi-segment trajectories for both tasks (SCIENCE.md section 1).

A trajectory of L points holds M segments (M uniform in n_segments), each at least MIN_SEGMENT points,
the lengths uniform over all such compositions of L. Segments are continuous: the increments of the
segments are concatenated and summed, so a new segment starts where the previous one ended.
Changepoint convention: the 0-based index of the first point of a new segment.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ..constants import ALPHA_RANGES, MIN_SEGMENT, MODELS, TASK1_ALPHA_RANGE
from ._common import check_length, check_model, check_n, check_rng
from .blur import blurred_steps, check_exposure
from .models import FLAVORS, check_flavor, generate_steps
from .noise import add_localization_noise, check_noise

TASKS = ("alpha", "model")
# Segments of one model are generated together in chunks, padded to the chunk's longest segment. A chunk
# closes once growing it would pad more than _PAD_BUDGET steps (one call costs about as much as ~600
# steps of work), or at _CHUNK_ROWS rows (memory).
_PAD_BUDGET = 2000
_CHUNK_ROWS = 2048


@dataclass
class SimDataset:
    """Simulated multi-segment trajectories with point-wise labels.

    x: positions (N, L, 2) float32 (time step 1 frame; scale-free units unless scale="native").
    alpha: true anomalous exponent of every point (N, L) float32.
    model: true diffusion-model class id of every point (N, L) int8, order uandi.MODELS.
    changepoints: one int array per trajectory, 0-based index of each new segment's first point.
    """

    task: str
    x: np.ndarray
    alpha: np.ndarray
    model: np.ndarray
    changepoints: list = field(default_factory=list)

    @property
    def y(self) -> np.ndarray:
        """The task's target: alpha (float32) for task "alpha", class id (int64) for task "model"."""
        return self.alpha if self.task == "alpha" else self.model.astype(np.int64)

    def __len__(self) -> int:
        return self.x.shape[0]


def segment_lengths(
    rng: np.random.Generator, n_segments: np.ndarray, length: int, min_segment: int = MIN_SEGMENT
) -> np.ndarray:
    """Segment lengths, uniform over compositions of `length` into M parts of at least `min_segment`.

    n_segments: (n,) number of segments per trajectory. Returns (n, max M) int, zero-padded.
    Equivalent to the reference code's rejection scheme, but sampled directly (stars and bars), so it
    never stalls when the composition is tight (e.g. five segments of 10 in 50 points).
    """
    n = n_segments.shape[0]
    out = np.zeros((n, int(n_segments.max())), dtype=np.int64)
    for m in np.unique(n_segments):
        rows = np.flatnonzero(n_segments == m)
        slack = length - m * min_segment
        pending = rows
        while pending.size:
            bars = np.sort(rng.integers(1, slack + m, size=(pending.size, m - 1)), axis=1)
            distinct = np.all(np.diff(bars, axis=1) > 0, axis=1) if m > 2 else np.ones(pending.size, bool)
            take = pending[distinct]
            edges = np.concatenate(
                [np.zeros((take.size, 1), np.int64), bars[distinct], np.full((take.size, 1), slack + m)], axis=1
            )
            out[take, :m] = np.diff(edges, axis=1) - 1 + min_segment
            pending = pending[~distinct]
    return out


def check_flavors(flavor) -> tuple[str, ...]:
    """A flavour name, or a sequence of them to mix (drawn per segment), as a tuple of distinct names."""
    names = (flavor,) if isinstance(flavor, str) else tuple(flavor)
    if not names:
        raise ValueError(f"flavor must name at least one of {', '.join(FLAVORS)}")
    return tuple(dict.fromkeys(check_flavor(f) for f in names))


def _check_options(task, n, length, n_segments, min_alpha_jump, scale, diffusion_factor, noise, models):
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    n = check_n(n)
    lo_m, hi_m = (n_segments, n_segments) if np.isscalar(n_segments) else tuple(n_segments)
    if not (1 <= int(lo_m) <= int(hi_m)):
        raise ValueError(f"n_segments must be a count or a (min, max) pair with 1 <= min <= max, got {n_segments!r}")
    length = check_length(length, minimum=2)
    if length < MIN_SEGMENT * int(hi_m):
        raise ValueError(
            f"length {length} is too short for up to {hi_m} segments of at least {MIN_SEGMENT} points; "
            f"use length >= {MIN_SEGMENT * int(hi_m)} or n_segments=(..., {max(1, length // MIN_SEGMENT)})"
        )
    if not (0.0 <= float(min_alpha_jump) <= 0.9):
        raise ValueError(f"min_alpha_jump must lie in [0, 0.9], got {min_alpha_jump!r}")
    if scale not in ("free", "native"):
        raise ValueError(f"scale must be 'free' (unit RMS step per segment) or 'native', got {scale!r}")
    if diffusion_factor is not None:
        lo, hi = diffusion_factor
        if not (0 < lo <= hi):
            raise ValueError(f"diffusion_factor must be a (low, high) pair with 0 < low <= high, got {diffusion_factor!r}")
    noise = check_noise(noise, n)
    models = tuple(dict.fromkeys(check_model(m) for m in models))  # repeated names would allow repeats
    if task == "model" and len(set(models)) < 2:
        raise ValueError(f"task 'model' needs at least two distinct models so that consecutive segments differ, got {models}")
    return n, (int(lo_m), int(hi_m)), length, noise, models


def length_chunks(index: np.ndarray, seg_len: np.ndarray) -> list[np.ndarray]:
    """Split segment indices into chunks of similar length, shortest first.

    Greedy over the distinct lengths: a chunk takes the next length while padding all its members to
    that length adds at most _PAD_BUDGET steps and it stays under _CHUNK_ROWS rows.
    """
    order = index[np.argsort(seg_len[index], kind="stable")]
    values, counts = np.unique(seg_len[order], return_counts=True)
    chunks, start, rows, total = [], 0, 0, 0
    for value, count in zip(values.tolist(), counts.tolist()):
        if rows and (rows * value - total > _PAD_BUDGET or rows + count > _CHUNK_ROWS):
            chunks.append(order[start : start + rows])
            start, rows, total = start + rows, 0, 0
        rows, total = rows + count, total + count * value
    if rows:
        chunks.append(order[start : start + rows])
    return chunks


def _segment_alphas_task1(rng, n_seg_total, first_flags, min_jump):
    """Alpha per segment for subtask 1: uniform in TASK1_ALPHA_RANGE, consecutive jumps > min_jump."""
    lo, hi = TASK1_ALPHA_RANGE
    alpha = rng.uniform(lo, hi, n_seg_total)
    if min_jump > 0:
        # Segments are stored trajectory by trajectory; redraw each non-first segment until it differs
        # enough from its (already final) predecessor. Sequential in segment position, vectorised in rows.
        position = _position(first_flags)
        for pos in range(1, int(position.max()) + 1):
            sel = np.flatnonzero(position == pos)
            while sel.size:
                bad = sel[np.abs(alpha[sel] - alpha[sel - 1]) <= min_jump]
                alpha[bad] = rng.uniform(lo, hi, bad.size)
                sel = bad
    return alpha


def _position(first_flags):
    """Position of each segment within its trajectory (0 for the first)."""
    starts = np.flatnonzero(first_flags)
    counts = np.diff(np.append(starts, first_flags.size))
    return np.arange(first_flags.size) - np.repeat(starts, counts)


def _segment_models_task2(rng, n_seg, models):
    """Model class ids per segment: first uniform among `models`, each next one a different model."""
    choices = np.array([MODELS.index(m) for m in models])
    k = len(choices)
    per_traj = []
    pick = rng.integers(0, k, n_seg.size)
    per_traj.append(pick)
    for _ in range(1, int(n_seg.max())):
        pick = (pick + rng.integers(1, k, n_seg.size)) % k  # any model but the previous one
        per_traj.append(pick)
    table = choices[np.stack(per_traj, axis=1)]  # (n, max M)
    mask = np.arange(table.shape[1])[None, :] < n_seg[:, None]
    return table[mask]


def dataset(
    task: str,
    n: int,
    length: int,
    rng: np.random.Generator,
    *,
    n_segments=(2, 5),
    min_alpha_jump: float = 0.0,
    scale: str = "free",
    diffusion_factor: tuple[float, float] | None = None,
    noise=0.0,
    models=MODELS,
    flavor="uandi",
    brownian_share: float = 0.0,
    exposure=0.0,
) -> SimDataset:
    """Simulate n multi-segment 2D trajectories of `length` points for task "alpha" or "model".

    task "alpha" (subtask 1): every segment FBM with K = 1, alpha uniform in [0.05, 1.99];
      consecutive segments differ by more than `min_alpha_jump` (0.5 reproduces the reference code).
    task "model" (subtask 2): each segment one of `models` (default all five), consecutive segments
      differ, alpha uniform in that model's range.
    n_segments: segments per trajectory, a count or (min, max) drawn uniformly; default (2, 5).
    scale: "free" rescales each segment's increments to unit per-axis RMS step (so no model can be told
      by amplitude); "native" keeps each model's own units (the paper's reference protocol).
    diffusion_factor: optional (low, high); each segment's step size is multiplied by a factor drawn
      log-uniformly in that range (a random diffusion coefficient per segment).
    noise: localization noise sigma_n, per-axis std relative to each segment's RMS step; a scalar or one
      value per trajectory (shape (n,)).
    flavor: "uandi" (our parametrisations), "andi" (andi-datasets', uandi.simulate.andi), or a list of
      them, drawn uniformly per segment (training on both makes a network less tied to one simulator).
    brownian_share: share of the FBM and SBM segments drawn with alpha exactly 1, i.e. plain Brownian
      motion (default 0). Real tracks are often Brownian, which uniform alphas almost never are; a
      network trained with some then reads Brownian motion as alpha 1 rather than as the mean of the
      models it resembles (ATTM within a period is Brownian too). Applied after min_alpha_jump's rule,
      which it may break.
    exposure: motion blur - the camera's open time as a fraction of the frame interval, in [0, 1]; a
      scalar or one per trajectory (shape (n,)); each frame's position is then the particle's mean
      position over that time (uandi.simulate.blur; scale "free" only). 0 (default): instantaneous.
    rng: numpy.random.Generator.
    """
    flavors = check_flavors(flavor)
    if not 0.0 <= float(brownian_share) <= 1.0:
        raise ValueError(f"brownian_share must lie in [0, 1], got {brownian_share!r}")
    n, (lo_m, hi_m), length, noise, models = _check_options(
        task, n, length, n_segments, min_alpha_jump, scale, diffusion_factor, noise, models
    )
    exposure = check_exposure(exposure, n)
    if np.any(np.asarray(exposure) > 0) and scale != "free":
        raise ValueError("exposure (motion blur) needs scale='free': blurred steps come in units of their own "
                         "(FBM's without its K) that only the scale-free rescaling removes")
    rng = check_rng(rng)

    n_seg = rng.integers(lo_m, hi_m + 1, n)  # (n,)
    lengths = segment_lengths(rng, n_seg, length)  # (n, max M)
    valid = lengths > 0
    seg_len = lengths[valid]  # flat over (trajectory, segment), trajectory-major
    seg_traj = np.repeat(np.arange(n), n_seg)
    seg_start = (np.cumsum(lengths, axis=1) - lengths)[valid]
    first = np.zeros(seg_len.size, bool)
    first[np.concatenate([[0], np.cumsum(n_seg)[:-1]])] = True

    if task == "alpha":
        seg_model = np.full(seg_len.size, MODELS.index("fbm"))
        seg_alpha = _segment_alphas_task1(rng, seg_len.size, first, float(min_alpha_jump))
    else:
        seg_model = _segment_models_task2(rng, n_seg, models)
        lo = np.array([ALPHA_RANGES[m][0] for m in MODELS])[seg_model]
        hi = np.array([ALPHA_RANGES[m][1] for m in MODELS])[seg_model]
        seg_alpha = lo + rng.random(seg_len.size) * (hi - lo)

    if brownian_share > 0:  # drawn only when asked, so the default leaves the random stream as it was
        gaussian = np.isin(seg_model, [MODELS.index("fbm"), MODELS.index("sbm")])
        seg_alpha = np.where(gaussian & (rng.random(seg_len.size) < brownian_share), 1.0, seg_alpha)

    if diffusion_factor is not None:
        lo_d, hi_d = np.log(diffusion_factor[0]), np.log(diffusion_factor[1])
        seg_factor = np.exp(rng.uniform(lo_d, hi_d, seg_len.size))
    else:
        seg_factor = np.ones(seg_len.size)

    # drawn only when mixing, so a single flavour leaves the random stream as it was
    seg_flavor = rng.integers(0, len(flavors), seg_len.size) if len(flavors) > 1 else np.zeros(seg_len.size, int)

    seg_exposure = np.broadcast_to(np.asarray(exposure, float), (n,))[seg_traj]  # (segments,)
    blur_kinds = (False, True) if np.any(seg_exposure > 0) else (False,)

    increments = np.empty((n * length, 2), np.float32)  # flat over (trajectory, point)
    seg_dest = seg_traj * length + seg_start  # flat index of each segment's first point
    seg_step = np.ones(seg_len.size)  # per-axis RMS step of each segment as placed (noise reference)
    for (class_id, name), (flavor_id, flavor_name), blurred in itertools.product(
            enumerate(MODELS), enumerate(flavors), blur_kinds):
        kind = (seg_model == class_id) & (seg_flavor == flavor_id) & ((seg_exposure > 0) == blurred)
        for chunk in length_chunks(np.flatnonzero(kind), seg_len):
            lens = seg_len[chunk]
            if blurred:
                steps = blurred_steps(name, seg_alpha[chunk], int(lens.max()), seg_exposure[chunk], rng, np.float32,
                                      flavor_name)  # (k, lmax, 2)
            else:
                steps = generate_steps(name, seg_alpha[chunk], int(lens.max()), rng, np.float32, flavor_name)
            # per-axis RMS over the segment's own steps only: zero the padding first (only the last
            # few columns hold any)
            shortest = int(lens.min())
            tail = steps[:, shortest:]
            tail[np.arange(tail.shape[1])[None, :] >= (lens - shortest)[:, None]] = 0.0
            sum_sq = np.einsum("ijk,ijk->i", steps, steps).astype(np.float64)  # (k,)
            rms = np.sqrt(sum_sq / (2.0 * lens))
            if scale == "free":
                factor = np.where(rms > 0, 1.0 / np.where(rms > 0, rms, 1.0), 1.0) * seg_factor[chunk]
                seg_step[chunk] = seg_factor[chunk]
            else:
                factor = seg_factor[chunk]
                seg_step[chunk] = np.where(rms > 0, rms * factor, 1.0)
            steps *= factor.astype(np.float32)[:, None, None]
            # copy each segment into place: contiguous slices beat a masked scatter by ~5x
            for row, (dest, size) in enumerate(zip(seg_dest[chunk].tolist(), lens.tolist())):
                increments[dest : dest + size] = steps[row, :size]

    increments = increments.reshape(n, length, 2)
    increments[:, 0] = 0.0  # the first point has no increment: trajectories start at the origin
    # float32 sums: each step is rounded once, like the float32 positions returned anyway
    positions = np.cumsum(increments, axis=1, out=increments)
    if np.any(np.asarray(noise) > 0):
        sigma = np.reshape(noise, (-1, 1)) * np.repeat(seg_step, seg_len).reshape(n, length)
        positions = add_localization_noise(positions, sigma, rng)

    alpha_pt = np.repeat(seg_alpha.astype(np.float32), seg_len).reshape(n, length)
    model_pt = np.repeat(seg_model.astype(np.int8), seg_len).reshape(n, length)
    ends = np.cumsum(lengths, axis=1)
    changepoints = [ends[i, : n_seg[i] - 1].copy() for i in range(n)]
    return SimDataset(task, positions.astype(np.float32, copy=False), alpha_pt, model_pt, changepoints)
