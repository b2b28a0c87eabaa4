"""Motion shared by every track of a file: measured, judged, and removed when it is a stage drift.

A microscope stage that drifts at a velocity v adds v t to every track of the field of view. Each
track's MSD then grows as its own motion plus |v|^2 t^2, and alpha, from a network or from the exact
likelihood, reads the drift as super-diffusion. How much depends on how well one track sees the
drift: the ratio of |v| to the RMS spread of the tracks' own mean steps per axis (``track_z``). On
FBM tracks of 200 points with alpha 0.5 and 1 (benchmarks/drift.py), the likelihood's alpha reads
0.01 high at half a spread, 0.04 at one (95 % intervals holding the true alpha in 87-94 % of the
segments), and 0.11-0.18 at two (65-70 %).

    drift = estimate_drift(*laid_end_to_end(tracks), frame=frame)  # or pieces laid end to end by hand
    drift.velocity, drift.se, drift.track_z      # (2,) per frame, (2,), dimensionless
    drift.notable, drift.flow_like, drift.changes  # worth a notice; not a stage drift; not constant
    xy = remove_drift(xy, frame, drift.stage_velocity)

The estimate is the mean step over all tracks (every step weighs the same), with a standard error
that treats each track as one independent cluster (the sandwich estimator): it holds when the steps
of a track are correlated (FBM, blur, noise) and when tracks move at different speeds. It assumes
particles whose own motions point every way, and a constant velocity over the recording, which is
checked: the velocity before the median frame is compared with the velocity from it on (``changes``;
a stage that goes and comes back has no mean velocity, yet reads alpha 0.14-0.16 high).

A stage drift moves every track alike; a flow of the liquid carries the moving particles and leaves
those held to the glass in place. So the same estimate over the slowest quarter of the tracks (by
their RMS step) is compared with the rest (``flow_like``). The Brownian beads of Granik et al. 2019
are such a file: the moving beads share a velocity of about 0.05 of their RMS step per frame, the
slowest tenth (held in place) share none (docs/real_data.md, "Drift"). Where it is a stage drift,
the velocity to remove is ``stage_velocity``, which weighs each track by its steps over their
variance: particles stuck to the stage then measure it best (fiducial markers, found alone).

Units: positions in the input's units, time in frames; velocities in input units per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Drift", "MIN_DRIFT_TRACKS", "WANDERING_ADVICE", "change_words", "drift_notice", "estimate_drift", "flow_words",
           "laid_end_to_end", "remove_drift"]

# fewest tracks with a step for a drift estimate: with fewer, each track's own motion is a large part of
# the mean, and the cluster standard error (G - 1 degrees of freedom) is itself unreliable
MIN_DRIFT_TRACKS = 10
# a notice needs a drift that is both real and large enough to matter:
# chi-square with 2 degrees of freedom above this has probability 1e-4 without drift ...
NOTICE_CHI2 = 18.42
# ... and at least this many times the spread of the tracks' own mean steps (benchmarks/drift.py: at one
# spread the likelihood's alpha reads 0.04 high, at two 0.11-0.18, with intervals that miss)
NOTICE_TRACK_Z = 1.0
# the slowest quarter of the tracks and the rest move differently (probability 1e-3 under a stage drift)
FLOW_CHI2 = 13.82
# the first and the second half of the frames move differently (probability 1e-3 under a constant drift)
CHANGE_CHI2 = 13.82
# what to do about a drift that changes, in every message that meets one
WANDERING_ADVICE = ("for a drift that wanders, remove it frame by frame before uandi (e.g. trackpy.subtract_drift, "
                    "or fiducial markers)")


@dataclass(frozen=True)
class Drift:
    """A constant drift velocity estimated from many tracks."""

    velocity: np.ndarray  # (2,) mean step, input units per frame
    se: np.ndarray  # (2,) its standard error, tracks as independent clusters
    n_tracks: int  # tracks (pieces) with at least one step
    n_steps: int
    track_z: float  # |velocity| over the RMS spread of the tracks' own mean steps (per axis)
    spread: float = np.nan  # that spread, input units per frame
    slow_velocity: np.ndarray | None = None  # (2,) the same estimate over the slowest quarter of the tracks ...
    slow_se: np.ndarray | None = None  # (2,)
    fast_velocity: np.ndarray | None = None  # (2,) ... and over the rest (None: too few tracks to split)
    fast_se: np.ndarray | None = None  # (2,)
    early_velocity: np.ndarray | None = None  # (2,) the same estimate over the steps before the median frame ...
    early_se: np.ndarray | None = None  # (2,)
    late_velocity: np.ndarray | None = None  # (2,) ... and from it on (None: no frames given, or too few tracks)
    late_se: np.ndarray | None = None  # (2,)
    stage_velocity: np.ndarray | None = None  # (2,) the velocity weighted for a stage drift (see estimate_drift)
    stage_se: np.ndarray | None = None  # (2,)

    @property
    def chi2(self) -> float:
        """(v / se)^2 summed over both axes: chi-square with 2 degrees of freedom without drift."""
        with np.errstate(divide="ignore", invalid="ignore"):
            z2 = np.where(self.se > 0, (self.velocity / self.se) ** 2, 0.0)
        return float(z2.sum())

    @property
    def notable(self) -> bool:
        """Real (chi2 above NOTICE_CHI2, or a velocity that changes, from at least MIN_DRIFT_TRACKS
        tracks) and large enough to bias alpha (track_z >= NOTICE_TRACK_Z, or the same for the
        velocity of either half of the frames when it changes: a stage that goes and comes back)."""
        if self.n_tracks < MIN_DRIFT_TRACKS or not (self.chi2 > NOTICE_CHI2 or self.changes):
            return False
        if self.track_z >= NOTICE_TRACK_Z:
            return True
        halves = (self.early_velocity, self.late_velocity) if self.changes else ()
        return any(np.hypot(*v) >= NOTICE_TRACK_Z * self.spread for v in halves)

    @property
    def flow_chi2(self) -> float:
        """Chi-square (2 degrees of freedom) of the difference between the slowest quarter's velocity
        and the rest's: a stage drift moves every track alike, a flow carries the moving particles
        and leaves the ones held in place. 0 when there are too few tracks to split."""
        if self.slow_velocity is None:
            return 0.0
        return _difference_chi2(self.slow_velocity, self.slow_se, self.fast_velocity, self.fast_se)

    @property
    def flow_like(self) -> bool:
        """The slowest tracks do not share the others' motion (flow_chi2 above FLOW_CHI2): not a
        stage drift, which would move all alike."""
        return self.flow_chi2 > FLOW_CHI2

    @property
    def change_chi2(self) -> float:
        """Chi-square (2 degrees of freedom) of the difference between the velocity before the median
        frame and from it on: 0 for a constant drift, and when there are no frames or too few tracks."""
        if self.early_velocity is None:
            return 0.0
        return _difference_chi2(self.early_velocity, self.early_se, self.late_velocity, self.late_se)

    @property
    def changes(self) -> bool:
        """The velocity of the first half of the frames differs from the second's (change_chi2 above
        CHANGE_CHI2): drift="constant" can remove its mean only."""
        return self.change_chi2 > CHANGE_CHI2

    def describe(self) -> str:
        """The velocity with its standard error, in words."""
        (vx, vy), (sx, sy) = self.velocity, self.se
        return (f"({vx:.3g} +- {sx:.2g}, {vy:.3g} +- {sy:.2g}) input units per frame "
                f"from {self.n_tracks} tracks")


def _difference_chi2(a: np.ndarray, a_se: np.ndarray, b: np.ndarray, b_se: np.ndarray) -> float:
    """Chi-square over both axes of the difference of two independent estimates (a - b) with standard
    errors; 0 where an error is 0 or infinite. Computed in units of the larger error (no overflow)."""
    unit = np.maximum(a_se, b_se)
    if not np.all((unit > 0) & np.isfinite(unit)):
        return 0.0
    z = (a - b) / unit / np.hypot(a_se / unit, b_se / unit)
    return float((z ** 2).sum())


def _cluster_mean(means: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Weighted mean (2,) of the pieces' own mean steps (G, 2), its cluster-robust standard error (2,)
    (each piece one draw: sum of (w_i (m_i - v))^2 / (sum w_i)^2, times G / (G - 1)), and G, the number
    of pieces of positive weight. Weights equal to the step counts give every step the same weight."""
    g = int((weight > 0).sum())
    if g == 0:
        return np.zeros(2), np.full(2, np.inf), 0
    total = weight.sum()
    velocity = (weight[:, None] * means).sum(axis=0) / total
    if g < 2:
        return velocity, np.full(2, np.inf), g
    var = ((weight[:, None] * (means - velocity)) ** 2).sum(axis=0) / total ** 2 * g / (g - 1)
    return velocity, np.sqrt(var), g


def _mean_step(sums: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean step (2,) of the pieces with per-piece step sums (G, 2) and step counts (G,), every step
    weighing the same, its standard error and the number of pieces with a step (_cluster_mean)."""
    return _cluster_mean(sums / np.maximum(counts, 1)[:, None], counts.astype(np.float64))


def _stage_mean_step(means: np.ndarray, counts: np.ndarray, speed2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean step (2,) of pieces with own mean steps (G, 2), step counts (G,) and mean squared steps about
    their mean (G,), each weighted by count / step variance, and its standard error (2,) (_cluster_mean).
    A piece of fewer than 3 steps, or whose variance is below 1e-6 of the median, gets the median's."""
    typical = np.median(speed2[counts >= 3]) if np.any(counts >= 3) else 1.0
    variance = np.where((counts >= 3) & (speed2 > 1e-6 * typical), speed2, typical)  # (G,)
    weight = counts / variance  # (G,)
    if not np.all(np.isfinite(weight)) or len(weight) < 2:
        return np.zeros(2), np.full(2, np.inf)
    velocity, se, _ = _cluster_mean(means, weight)
    return velocity, se


def estimate_drift(xy: np.ndarray, start: np.ndarray, length: np.ndarray,
                   moving: np.ndarray | None = None, frame: np.ndarray | None = None) -> Drift:
    """The constant drift velocity of tracks laid end to end.

    xy : (n, 2) positions of every piece (consecutive frames), piece after piece, frame order within
        each; start, length : (G,) first index into xy and number of points of each piece.
    moving : (G,) bool, the pieces whose steps give the velocity (default all); the others (pieces
        at rest, set aside as immobile) still count in the comparison of the slowest quarter of the
        pieces (by their RMS step about their own mean step) with the rest (Drift.flow_like), made
        when that quarter holds MIN_DRIFT_TRACKS pieces: a particle at rest while the others share a
        velocity is the clearest sign of a flow.
    frame : (n,) frame numbers of the points: the velocity is also estimated over the moving pieces'
        steps before the median frame and from it on (each piece's part in a half one cluster), when
        each half holds MIN_DRIFT_TRACKS pieces (Drift.changes compares them).

    ``velocity`` weighs every step the same: the motion the moving tracks carry. ``stage_velocity``
    weighs each moving piece's mean step by its number of steps over its step variance, which is
    unbiased when every piece shares the velocity (a stage drift) and far more precise when some
    pieces barely move: particles stuck to a drifting stage act as fiducial markers. It is the one
    remove_drift should take, and only when the shared motion is not flow-like.
    """
    xy = np.asarray(xy, dtype=np.float64)
    start, length = np.asarray(start, dtype=np.int64), np.asarray(length, dtype=np.int64)
    n_pieces = len(length)
    # step j joins points j and j + 1: a step of a piece unless point j + 1 starts the next piece
    within = np.ones(max(len(xy) - 1, 0), bool)
    within[start[(start > 0) & (start < len(xy))] - 1] = False
    steps = np.diff(xy, axis=0)[within]  # (N, 2), piece after piece
    # in units of a power of two near the largest step (exact), so that squares neither overflow nor vanish
    largest = float(np.abs(steps).max()) if steps.size else 0.0
    unit = 2.0 ** np.round(np.log2(largest)) if 0 < largest < np.inf else 1.0
    steps = steps / unit
    counts = np.maximum(length - 1, 0)  # (G,) steps per piece
    piece_of = np.repeat(np.arange(n_pieces), counts)  # (N,)
    sums = np.stack([np.bincount(piece_of, steps[:, k], minlength=n_pieces) for k in range(2)], axis=1)  # (G, 2)
    moving = np.ones(n_pieces, bool) if moving is None else np.asarray(moving, bool)
    velocity, se, g = _mean_step(sums[moving], counts[moving])
    n_steps = int(counts[moving].sum())
    if n_steps == 0:
        return Drift(velocity * unit, se * unit, 0, 0, 0.0, np.nan)

    # each piece's mean squared step about its own mean step (both axes): its speed
    speed2 = np.bincount(piece_of, ((steps - (sums / np.maximum(counts, 1)[:, None])[piece_of]) ** 2).sum(axis=1),
                         minlength=n_pieces) / np.maximum(counts, 1)  # (G,)
    has_step = np.flatnonzero((counts > 0) & moving)
    means = sums[has_step] / counts[has_step, None]  # (G', 2) each piece's own mean step
    # how well one track sees the drift: |v| against the RMS spread of the pieces' mean steps per axis
    spread = np.sqrt(((means - velocity) ** 2).sum(axis=1).mean() / 2)
    track_z = float(np.hypot(*velocity) / spread) if spread > 0 else 0.0
    extra = dict(zip(("stage_velocity", "stage_se"), _stage_mean_step(means, counts[has_step], speed2[has_step])))
    has_step = np.flatnonzero(counts > 0)  # now the pieces at rest too
    if has_step.size >= 4 * MIN_DRIFT_TRACKS:
        slow = np.zeros(n_pieces, bool)
        slow[has_step[speed2[has_step] <= np.quantile(speed2[has_step], 0.25)]] = True
        for name, part in (("slow", slow), ("fast", ~slow & (counts > 0))):
            v, e, _ = _mean_step(sums[part], counts[part])
            extra.update({f"{name}_velocity": v, f"{name}_se": e})
    if frame is not None:
        starts_at = np.asarray(frame)[:-1][within]  # (N,) frame at which each step starts
        taken = moving[piece_of]  # (N,) steps of moving pieces
        late = starts_at >= np.median(starts_at[taken])  # (N,)
        cluster = 2 * piece_of + late  # (N,) a piece's part in one half
        part_sums = np.stack([np.bincount(cluster[taken], steps[taken, k], minlength=2 * n_pieces)
                              for k in range(2)], axis=1)  # (2G, 2)
        part_counts = np.bincount(cluster[taken], minlength=2 * n_pieces)  # (2G,)
        if min((part_counts[0::2] > 0).sum(), (part_counts[1::2] > 0).sum()) >= MIN_DRIFT_TRACKS:
            for name, half in (("early", 0), ("late", 1)):
                v, e, _ = _mean_step(part_sums[half::2], part_counts[half::2])
                extra.update({f"{name}_velocity": v, f"{name}_se": e})
    extra = {name: value * unit for name, value in extra.items()}
    return Drift(velocity * unit, se * unit, g, n_steps, track_z, float(spread * unit), **extra)


def laid_end_to_end(tracks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xy (n, 2), start (G,), length (G,)) of a list of (L_i, 2) tracks, or an (N, L, 2) array, as
    estimate_drift takes them."""
    tracks = [np.asarray(t, dtype=np.float64) for t in tracks]
    length = np.array([len(t) for t in tracks], dtype=np.int64)
    return np.concatenate(tracks), np.cumsum(length) - length, length


def remove_drift(xy: np.ndarray, frame: np.ndarray, velocity) -> np.ndarray:
    """Positions with the drift taken out: xy - velocity * frame, (n, 2), in xy's units."""
    xy = np.asarray(xy, dtype=np.float64)
    return xy - np.asarray(frame, dtype=np.float64)[:, None] * np.asarray(velocity, dtype=np.float64)[None, :]


def drift_notice(drift: Drift) -> str:
    """The notice for a notable drift that was left in (uandi.segment's default)."""
    shared = (f"the tracks share a mean velocity of {drift.describe()}, {drift.track_z:.1f} times the spread "
              "of their own mean steps" + (f"; {change_words(drift)}" if drift.changes else "")
              + ", and alpha reads a shared motion as super-diffusion")
    if drift.flow_like:
        return (shared + ". " + flow_words(drift) + ". If it is the particles' own transport, that is what alpha "
                "measures; if a flow of the liquid carries them and they should be seen in its frame, remove it "
                "from the moving particles before uandi")
    removal = "would remove its mean only: " + WANDERING_ADVICE if drift.changes else "removes it"
    return (shared + ". If the stage drifted (alpha then too high, error bars that miss), drift='constant' "
            "(uandi segment --drift constant) " + removal)


def change_words(drift: Drift) -> str:
    """That the drift changes over the recording, with the numbers."""
    (ex, ey), (lx, ly) = drift.early_velocity, drift.late_velocity
    return (f"it changes over the recording: ({ex:.3g}, {ey:.3g}) in the first half of the frames, ({lx:.3g}, "
            f"{ly:.3g}) in the second")


def flow_words(drift: Drift) -> str:
    """Why a shared motion looks like a flow, not a stage drift, with the numbers."""
    (vx, vy), (sx, sy) = drift.slow_velocity, drift.slow_se
    return (f"The slowest quarter of the tracks do not share it ({vx:.3g} +- {sx:.2g}, {vy:.3g} +- {sy:.2g}): "
            "a flow carrying the moving particles (or their own transport), not a drifting stage, which would "
            "move all alike")
