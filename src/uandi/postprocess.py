"""From the network's point-wise outputs to segments and changepoints (SCIENCE.md section 5).

Conventions used throughout:

- Time is in frames (points); a trajectory of length L has points 0 .. L-1.
- A changepoint is the 0-based index of the FIRST point of a new segment, so it lies in 1 .. L-1 and
  changepoints ``[c1, c2]`` cut a trajectory into segments ``[0, c1)``, ``[c1, c2)``, ``[c2, L)``.
- alpha is the dimensionless anomalous exponent (MSD ~ t^alpha).
- Class labels are indices into ``uandi.constants.MODELS`` (attm, ctrw, fbm, lw, sbm).

Only numpy is needed here; the functions work on one trajectory at a time unless stated otherwise.
The last section puts the pieces together for one track: both networks' changepoints merged
(combine_changepoints), per-segment values (segment_statistics), the result (Segments) - the per-track
logic that Predictor.segment and uandi.segment share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .alpha_error import lookup as lookup_alpha_error
from .checks import check_int, check_units
from .constants import ALPHA_MAX, ALPHA_MIN, MODELS
from .notices import notify
from .workers import Packed, active, small_pages, split, worker_pool

__all__ = [
    "clip_alpha",
    "labels_from_proba",
    "segments_from_alpha",
    "segments_from_alpha_contrast",
    "segments_from_alpha_by",
    "changepoints_from_alpha",
    "alpha_postprocess_settings",
    "segments_from_labels",
    "segments_from_proba_contrast",
    "segments_from_proba_by",
    "changepoints_from_proba",
    "model_postprocess_settings",
    "labels_from_changepoints",
    "segment_means",
    "combine_changepoints",
    "Segments",
    "alpha_clipped",
    "segment_columns",
    "segment_statistics",
    "segment_track",
    "LIKELIHOOD_SETTINGS",
    "brownian_notice",
    "likelihood_units",
    "assumes_fbm",
    "refine_segments",
]


def clip_alpha(alpha) -> np.ndarray:
    """Clip predicted anomalous exponents to the simulated range [ALPHA_MIN, ALPHA_MAX] = [0.05, 2].

    alpha: array of any shape (dimensionless). Returns a float array of the same shape; NaN stays NaN.
    """
    return np.clip(np.asarray(alpha, dtype=float), ALPHA_MIN, ALPHA_MAX)


def labels_from_proba(proba) -> np.ndarray:
    """Point-wise class labels from class scores: argmax over the last axis.

    proba: array (..., n_classes), normally (..., 5) in the order of ``MODELS``; probabilities,
    softmax outputs or raw logits all give the same labels. Returns int64 labels of shape (...).
    """
    p = np.asarray(proba)
    if p.ndim < 1 or p.shape[-1] < 1:
        raise ValueError(
            f"proba must have the classes on its last axis, shape (..., n_classes); got shape {p.shape}"
        )
    return np.argmax(p, axis=-1).astype(np.int64)


def _check_1d(values, name: str, *, dtype=None) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be a 1D array for ONE trajectory (length L); got shape {arr.shape}. "
            "Loop over trajectories for a batch."
        )
    if arr.size < 1:
        raise ValueError(f"{name} must hold at least one point; got an empty array")
    return arr


def _check_alpha(alpha) -> np.ndarray:
    """One trajectory's point-wise alpha as a finite 1D float array."""
    a = _check_1d(alpha, "alpha", dtype=float)
    if not np.all(np.isfinite(a)):
        raise ValueError("alpha must be finite; found NaN or inf - clean the prediction (e.g. clip_alpha) first")
    return a


def segment_means(values, changepoints) -> np.ndarray:
    """Mean of `values` (L,) or (L, C) over each segment between changepoints: (K + 1,) or (K + 1, C).

    changepoints: increasing first points of new segments, in 1 .. L-1; the segments tile the trajectory.
    """
    v = np.asarray(values, dtype=float)
    edges = np.concatenate(([0], np.asarray(changepoints, dtype=np.int64)))
    counts = np.diff(np.append(edges, v.shape[0]))
    return np.add.reduceat(v, edges, axis=0) / counts.reshape(-1, *([1] * (v.ndim - 1)))


def segments_from_alpha(alpha, eps: float = 0.028, min_gap: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Segment one trajectory's point-wise alpha prediction (the U-AnDi paper's Appendix algorithm).

    Steps, for alpha of length L:

    1. Differences beta_i = alpha_(i+1) - alpha_i, i = 0 .. L-2.
    2. Index i is *active* when |beta_i| > eps. The paper writes beta_i > eps, which would never flag a
       decrease of alpha; we use the absolute value so that drops are found as well as rises.
    3. Sentinels: the trajectory's two ends act as active indices i = -1 and i = L-1, so the stretches
       before the first and after the last active index are treated like any other.
    4. A *plateau* is the set of points between two consecutive active indices a < b, i.e. points
       a+1 .. b: b - a points joined by b - a - 1 quiet differences. A plateau with at least ``min_gap``
       points is a segment. (Counting points, not differences, makes a clean step of exactly
       ``min_gap`` points a segment, matching how true segment lengths are counted.)
    5. Between two consecutive segments lies a gap of differences (at least one, all the active ones
       plus any short plateaus). The changepoint is placed after the point of largest |beta_i| in that
       gap: if the maximum is at i, the changepoint is i + 1 (first point of the new segment). Ties go to
       the earliest i.
    6. Each segment's alpha is the mean of the point-wise predictions from its changepoint to the next
       one, so the returned segments tile the whole trajectory (gap points included).

    If fewer than two plateaus are long enough (a flat, or a uniformly noisy prediction), there is no
    changepoint and a single segment whose alpha is the mean over the trajectory.

    Parameters
    ----------
    alpha : 1D array (L,), point-wise alpha predictions of ONE trajectory (dimensionless), finite.
    eps : float >= 0, threshold on |alpha_(i+1) - alpha_i| (alpha units per frame). Paper: 0.028.
    min_gap : int >= 1, minimum length of a segment's quiet plateau, in points. Paper: 10.

    Returns
    -------
    changepoints : int64 array (K,), increasing, each in 1 .. L-1 (possibly empty).
    segment_alphas : float array (K + 1,), mean alpha of each segment.
    """
    a = _check_alpha(alpha)
    changepoints = _appendix_changepoints(a, eps, min_gap)
    return changepoints, segment_means(a, changepoints)


def _appendix_changepoints(a: np.ndarray, eps: float, min_gap: int) -> np.ndarray:
    """Steps 1-5 of segments_from_alpha on a checked alpha (L,): the changepoints, int64 (K,)."""
    eps = float(eps)
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps (threshold on |alpha_(i+1) - alpha_i|) must be a finite number >= 0; got {eps!r}")
    check_int(min_gap, "min_gap (minimum segment plateau, in points)")

    length = a.size
    beta = np.diff(a)  # (L-1,)
    active = np.flatnonzero(np.abs(beta) > eps)
    bounds = np.concatenate(([-1], active, [length - 1]))  # sentinels at both ends
    # plateau between consecutive active indices a < b covers points a+1 .. b, i.e. b - a points
    long_enough = np.flatnonzero(np.diff(bounds) >= min_gap)
    plateau_first = bounds[long_enough] + 1  # first point of each segment's plateau
    plateau_last = bounds[long_enough + 1]  # last point of each segment's plateau

    changepoints = []
    for k in range(len(long_enough) - 1):
        # differences between the end of plateau k and the start of plateau k+1
        gap = slice(plateau_last[k], plateau_first[k + 1])
        changepoints.append(plateau_last[k] + int(np.argmax(np.abs(beta[gap]))) + 1)
    return np.asarray(changepoints, dtype=np.int64)


def _runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and label of each maximal run of equal labels."""
    starts = np.concatenate(([0], np.flatnonzero(labels[1:] != labels[:-1]) + 1))
    return starts, labels[starts]


def segments_from_labels(labels, min_length: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Changepoints of one trajectory's point-wise class labels: wherever the class changes.

    With ``min_length > 1``, runs shorter than ``min_length`` points are removed first: repeatedly the
    shortest such run (the earliest one on ties) is absorbed by the longer of its adjacent runs (the
    preceding run on ties; an end run has only one neighbour), and runs of equal class that become
    adjacent are joined. This stops when every run has at least ``min_length`` points or a single run
    is left. Changepoints are then those of the cleaned labels.

    Parameters
    ----------
    labels : 1D integer array (L,), class indices into ``MODELS`` of ONE trajectory.
    min_length : int >= 1, minimum run length in points (1 keeps every change).

    Returns
    -------
    changepoints : int64 array (K,), first point of each new segment, in 1 .. L-1 (possibly empty).
    segment_labels : int64 array (K + 1,), class of each segment.
    """
    lab = _check_1d(labels, "labels")
    if not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(
            f"labels must be an integer array of class indices; got dtype {lab.dtype}. "
            "Use labels_from_proba(proba) or labels.astype(int)."
        )
    check_int(min_length, "min_length (minimum run length, in points)")
    lab = lab.astype(np.int64)

    starts, run_labels = _runs(lab)
    run_lengths = np.diff(np.append(starts, lab.size))
    lengths, classes = list(run_lengths), list(run_labels)
    while len(lengths) > 1:
        k = int(np.argmin(lengths))  # earliest shortest run
        if lengths[k] >= min_length:
            break
        left = lengths[k - 1] if k > 0 else -1
        right = lengths[k + 1] if k + 1 < len(lengths) else -1
        into = k - 1 if left >= right else k + 1
        lengths[into] += lengths[k]
        del lengths[k], classes[k]
        # the absorbing run may now touch another run of its own class: join them
        j = into if into < k else into - 1
        for other in (j + 1, j - 1):
            if 0 <= other < len(lengths) and classes[other] == classes[j]:
                lengths[min(j, other)] += lengths[max(j, other)]
                del lengths[max(j, other)], classes[max(j, other)]
                j = min(j, other)

    changepoints = np.cumsum(lengths[:-1]).astype(np.int64)
    return changepoints, np.asarray(classes, dtype=np.int64)


def labels_from_changepoints(changepoints, values, length: int) -> np.ndarray:
    """Point-wise array from segments: each point gets the value of the segment it lies in.

    Parameters
    ----------
    changepoints : 1D integer array (K,), strictly increasing, each in 1 .. length-1 (first point of
        each new segment; may be empty).
    values : 1D array (K + 1,), one value per segment (alpha, class index, ...).
    length : int >= 1, trajectory length L in points.

    Returns an array (L,) with the dtype of ``values``.
    """
    check_int(length, "length (points per trajectory)")
    cps = np.asarray(changepoints)
    if cps.size == 0:
        cps = cps.reshape(0).astype(np.int64)
    if cps.ndim != 1 or not (cps.size == 0 or np.issubdtype(cps.dtype, np.integer)):
        raise ValueError(f"changepoints must be a 1D integer array; got shape {cps.shape}, dtype {cps.dtype}")
    vals = np.asarray(values)
    if vals.ndim != 1 or vals.size != cps.size + 1:
        raise ValueError(
            f"values must be 1D with one entry per segment, len(changepoints) + 1 = {cps.size + 1}; "
            f"got shape {vals.shape}"
        )
    if cps.size and (cps[0] < 1 or cps[-1] > length - 1 or np.any(np.diff(cps) <= 0)):
        raise ValueError(
            f"changepoints must be strictly increasing and lie in 1 .. length-1 = {length - 1}; got {cps.tolist()}"
        )
    seg_lengths = np.diff(np.concatenate(([0], cps, [length])))
    return np.repeat(vals, seg_lengths)


def _check_window_options(window, threshold, min_gap, unit: str) -> None:
    check_int(window, "window (points on each side)")
    check_int(min_gap, "min_gap (shortest segment, in points)")
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold ({unit}) must be a finite number >= 0; got {threshold!r}")


def _check_proba(proba) -> np.ndarray:
    """One trajectory's class probabilities as a finite float array (L, n_classes)."""
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 2:
        raise ValueError(
            f"proba must be (L, n_classes) for ONE trajectory, with at least 2 classes; got shape {p.shape}"
        )
    if not np.all(np.isfinite(p)):
        raise ValueError("proba must be finite; found NaN or inf")
    return p


def _window_contrast(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidates t (window <= t <= L - window) and the difference of the window means after and before
    t: mean(values[t : t + window]) - mean(values[t - window : t]), shape (T,) + values.shape[1:]."""
    c = np.concatenate((np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)))
    n = values.shape[0]
    t = np.arange(window, n - window + 1)
    return t, (c[2 * window :] - 2 * c[window : n - window + 1] + c[: n - 2 * window + 1]) / window


def _contrast_changepoints(values: np.ndarray, window: int, threshold: float, min_gap: int,
                           unit: str) -> np.ndarray:
    """Changepoints of the window-contrast rule on checked values: alpha (L,), contrast |difference of
    the window means|; or probabilities (L, C), contrast their total-variation distance (half the L1
    norm). Returns int64 (K,)."""
    _check_window_options(window, threshold, min_gap, unit)
    if values.shape[0] < 2 * window:
        return np.zeros(0, dtype=np.int64)
    t, diff = _window_contrast(values, window)  # (T,) or (T, C)
    contrast = np.abs(diff) if values.ndim == 1 else 0.5 * np.abs(diff).sum(axis=1)  # (T,)
    return _greedy_peaks(t, contrast, values.shape[0], threshold, min_gap)


def _alpha_candidates(alphas: list, window: int, threshold: float, min_gap: int) -> list:
    """_contrast_changepoints of many tracks' point-wise alpha (each (L_i,)), the contrast and its peaks
    of all tracks of one length found at once (the same changepoints; 4,000 calls one by one took 0.4-0.5 s
    of the parent's serial time in the likelihood stage, 0.2 s so). Returns one int64 array per track."""
    _check_window_options(window, threshold, min_gap, "alpha units")
    checked = [_check_alpha(a) for a in alphas]
    out: list = [np.zeros(0, dtype=np.int64)] * len(checked)
    by_length: dict = {}
    for i, a in enumerate(checked):
        by_length.setdefault(len(a), []).append(i)
    for length, rows in by_length.items():
        if length < 2 * window:
            continue
        # the tracks as columns of an (L, N) view of an (N, L) array: its running sums run along memory
        t, diff = _window_contrast(np.stack([checked[i] for i in rows]).T, window)  # (T,), (T, N)
        contrast = np.ascontiguousarray(np.abs(diff).T)  # (N, T), a track per row
        for i, cps in zip(rows, _greedy_peaks_by_row(t, contrast, length, threshold, min_gap)):
            out[i] = cps
    return out


def _greedy_peaks_by_row(t: np.ndarray, contrast: np.ndarray, length: int, threshold: float,
                         min_gap: int) -> list:
    """_greedy_peaks of each row of contrast (N, T) at the candidates t (T,), for N tracks of `length`
    points, the local maxima of all rows found at once. Returns one int64 array per row."""
    row, col = np.nonzero(_peaks(contrast) & (contrast > threshold))  # row by row, columns in order
    starts = np.searchsorted(row, np.arange(len(contrast) + 1))
    out = []
    for r in range(len(contrast)):
        top = col[starts[r] : starts[r + 1]]
        out.append(_greedy_take(t[top], contrast[r, top], length, min_gap))
    return out


# Variance of log(|step|^2) for a 2D Gaussian step of any size: |step|^2 / (2 s^2) is exponential, whose
# logarithm has variance pi^2 / 6 (trigamma(1)). It standardises _step_candidates' contrast.
LOG_STEP_VARIANCE = np.pi**2 / 6


def _step_candidates(tracks: list, windows: tuple, threshold: float, min_gap: int) -> list:
    """Candidate changepoints where the step size changes: peaks of the standardised contrast of the mean
    log squared step (2D) over `windows` points after and before each point, the largest over the windows,
    above `threshold` (standard errors), taken greedily like the network contrasts' peaks.

    A change of K alone (a particle binding, unbinding, entering a compartment) at the same alpha and model
    moves neither network's output: both were trained to ignore the step size (each segment's step-size
    factor is random), so the likelihood had no candidate there. The contrast of mean log squares (not the
    log of mean squares of a variance test) keeps one large step from making a candidate; its standard error
    is exact for white Gaussian steps, correlated (FBM) steps widen it, and the likelihood's penalty, not
    this threshold, decides. tracks: (L_i, 2) positions. Returns one sorted int64 array per track (a changepoint
    c: point c is the first of the new segment, its step c -> c + 1 the first new step)."""
    out: list = [np.zeros(0, dtype=np.int64)] * len(tracks)
    by_length: dict = {}
    for i, x in enumerate(tracks):
        by_length.setdefault(len(x), []).append(i)
    for length, rows in by_length.items():
        steps = length - 1
        usable = [w for w in windows if steps >= 2 * w]
        if not usable:
            continue
        d2 = np.stack([np.sum(np.diff(np.asarray(tracks[i], dtype=float), axis=0) ** 2, axis=1) for i in rows])
        # a zero step (a particle held, a CTRW wait) would give log 0: floor it far below the track's steps
        floor = 1e-6 * _median_of_positive(d2)
        log_d2 = np.log(d2 + np.maximum(floor, 1e-300)[:, None])  # (N, steps)
        z = np.zeros((len(rows), steps + 1))  # (N, T): the largest standardised contrast at each point
        for w in usable:
            t, diff = _window_contrast(np.ascontiguousarray(log_d2.T), w)  # (T_w,), (T_w, N)
            z[:, t] = np.maximum(z[:, t], np.abs(diff.T) / np.sqrt(2 * LOG_STEP_VARIANCE / w))
        for i, cps in zip(rows, _greedy_peaks_by_row(np.arange(steps + 1), z, length, threshold, min_gap)):
            out[i] = cps
    return out


def _median_of_positive(values: np.ndarray) -> np.ndarray:
    """Median of each row's positive entries of values (N, T), 1.0 for a row with none (a particle that
    never moves): np.nanmedian of them to the bit, without its warning for such a row (which reached the
    user's screen) and 8x faster on 10,000 tracks of 500 points (one sort, where nanmedian masks each row)."""
    positive = values > 0
    ranked = np.sort(np.where(positive, values, np.inf), axis=1)  # (N, T) the positive ones first
    count = positive.sum(axis=1)
    r = np.arange(len(values))
    low, high = np.maximum(count - 1, 0) // 2, np.minimum(count // 2, values.shape[1] - 1)
    return np.where(count > 0, 0.5 * (ranked[r, low] + ranked[r, high]), 1.0)


def _peaks(contrast: np.ndarray) -> np.ndarray:
    """Local maxima along the last axis of contrast (..., T), the ends compared with one neighbour: bool."""
    pad = np.full((*contrast.shape[:-1], 1), -np.inf)
    padded = np.concatenate((pad, contrast, pad), axis=-1)
    return (contrast >= padded[..., :-2]) & (contrast >= padded[..., 2:])


def _greedy_peaks(t: np.ndarray, contrast: np.ndarray, length: int, threshold: float, min_gap: int) -> np.ndarray:
    """Local maxima of `contrast` (at candidates t), taken greedily from the highest down while they
    exceed `threshold`, skipping any closer than `min_gap` points to one already taken or to either end."""
    top = np.flatnonzero(_peaks(contrast) & (contrast > threshold))  # only local maxima, no side lobes
    return _greedy_take(t[top], contrast[top], length, min_gap)


def _greedy_take(points: np.ndarray, contrast: np.ndarray, length: int, min_gap: int) -> np.ndarray:
    """_greedy_peaks' choice among its peaks above the threshold (points (P,) increasing, their contrast)."""
    chosen: list[int] = []
    at, value = points.tolist(), contrast.tolist()
    for i in sorted(range(len(at)), key=lambda i: -value[i]):  # highest first, ties in order (a stable sort)
        cp = at[i]
        if min(cp, length - cp) >= min_gap and all(abs(cp - k) >= min_gap for k in chosen):
            chosen.append(cp)
    return np.array(sorted(chosen), dtype=np.int64)


def segments_from_alpha_contrast(alpha, window: int = 8, threshold: float = 0.25,
                                 min_gap: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Segment one trajectory's point-wise alpha by the contrast of window means (our alternative to
    the Appendix algorithm, for networks whose alpha(t) is not smooth enough for a per-step threshold).

    For every candidate changepoint t (window <= t <= L - window) the contrast is
    |mean(alpha[t : t + window]) - mean(alpha[t - window : t])|. Local maxima of the contrast are taken
    greedily from the highest down while they exceed ``threshold``, skipping any closer than ``min_gap``
    points to one already taken or to either end. Segment alphas are the means between changepoints.

    alpha : 1D array (L,), dimensionless, finite. window : points on each side. threshold : alpha units.
    Returns (changepoints int64 (K,), segment_alphas float (K + 1,)), conventions as segments_from_alpha.
    """
    a = _check_alpha(alpha)
    changepoints = _contrast_changepoints(a, window, threshold, min_gap, "alpha units")
    return changepoints, segment_means(a, changepoints)


def segments_from_proba_contrast(proba, window: int = 16, threshold: float = 0.4,
                                 min_gap: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Segment one trajectory's class probabilities by the contrast of window means.

    Like :func:`segments_from_alpha_contrast`, with the contrast at t the total-variation distance
    between the mean class probabilities of the ``window`` points after and before t,
    0.5 * sum_c |mean(p[t : t + window, c]) - mean(p[t - window : t, c])|, in [0, 1]. Unlike a change of
    the argmax, a flicker between two classes of similar probability (e.g. FBM and SBM near alpha = 1,
    where both are Brownian motion) makes no changepoint.

    proba : (L, n_classes) class probabilities of ONE trajectory (rows sum to 1), finite.
    window : points on each side. threshold : probability units, in [0, 1].
    Returns (changepoints int64 (K,), segment_labels int64 (K + 1,)): the class with the largest mean
    probability over each segment.
    """
    p = _check_proba(proba)
    changepoints = _contrast_changepoints(p, window, threshold, min_gap, "probability units")
    return changepoints, segment_means(p, changepoints).argmax(axis=1).astype(np.int64)


PAPER_EPS = 0.028  # the Appendix threshold, tuned by the paper for its own network
PAPER_SETTINGS = {"method": "appendix", "eps": PAPER_EPS, "min_gap": 10}
LABEL_SETTINGS = {"method": "labels", "min_gap": 10}  # every argmax change, runs under 10 points absorbed

# The rules for each network's output: method -> its settings. Defaults: the paper's rules, and the
# contrast rules' function defaults.
ALPHA_RULES = {"appendix": ("eps", "min_gap"), "contrast": ("window", "threshold", "min_gap")}
MODEL_RULES = {"labels": ("min_gap",), "contrast": ("window", "threshold", "min_gap")}
_ALPHA_DEFAULTS = {**PAPER_SETTINGS, "window": 8, "threshold": 0.25}
_MODEL_DEFAULTS = {**LABEL_SETTINGS, "window": 16, "threshold": 0.4}


def _card_settings(predictor, rules: dict, default: dict, overrides: dict) -> dict:
    """The "postprocess" entry of a predictor's weight card, with `overrides` (None: keep the card's
    value) applied and the rest completed from `default`."""
    card = getattr(predictor, "card", None) or {}
    tuned = card.get("postprocess", {})
    overrides = {k: v for k, v in overrides.items() if v is not None}
    method = overrides.pop("method", tuned.get("method", default["method"]))
    if method not in rules:
        raise ValueError(f"unknown post-processing method {method!r}; use one of {sorted(rules)}")
    unknown = sorted(set(overrides) - set(rules[method]))
    if unknown:
        raise ValueError(f"{unknown} are not settings of the {method!r} post-processing; its settings are "
                         f"{list(rules[method])} (and method, one of {sorted(rules)})")
    card_values = tuned if tuned.get("method", default["method"]) == method else {}  # the card's rule only
    settings = {"method": method}
    for k in rules[method]:
        settings[k] = overrides.get(k, card_values.get(k, default.get(k)))
    return settings


def alpha_postprocess_settings(predictor=None, **overrides) -> dict:
    """How to segment an alpha network's output: the settings tuned for it and stored in its weight card
    (``postprocess``, see benchmarks/tune_postprocess.py), else the paper's Appendix rule, eps 0.028.

    overrides: ``method`` ("appendix" or "contrast") and that method's settings (``eps``; ``window``,
    ``threshold``; ``min_gap``, see segments_from_alpha and segments_from_alpha_contrast); None keeps
    the card's value. A method other than the card's starts from its defaults."""
    return _card_settings(predictor, ALPHA_RULES, _ALPHA_DEFAULTS, overrides)


def model_postprocess_settings(predictor=None, **overrides) -> dict:
    """How to segment a diffusion-model network's output: the settings in its weight card
    (``postprocess``), else a changepoint at every change of the predicted class (LABEL_SETTINGS).

    overrides: ``method`` ("labels" or "contrast") and that method's settings (``window``,
    ``threshold``, ``min_gap``, see segments_from_proba_contrast); None keeps the card's value."""
    return _card_settings(predictor, MODEL_RULES, _MODEL_DEFAULTS, overrides)


def segments_from_alpha_by(alpha, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch to segments_from_alpha ("appendix") or segments_from_alpha_contrast ("contrast")."""
    options = {k: v for k, v in settings.items() if k != "method"}
    if settings.get("method", "appendix") == "contrast":
        return segments_from_alpha_contrast(alpha, **options)
    return segments_from_alpha(alpha, **options)


def changepoints_from_alpha(alpha, settings: dict) -> np.ndarray:
    """The changepoints of segments_from_alpha_by(alpha, settings), without its segment means:
    int64 (K,), first points of new segments."""
    a = _check_alpha(alpha)
    options = {k: v for k, v in settings.items() if k != "method"}
    if settings.get("method", "appendix") == "contrast":
        return _contrast_changepoints(a, options.get("window", 8), options.get("threshold", 0.25),
                                      options.get("min_gap", 10), "alpha units")
    return _appendix_changepoints(a, options.get("eps", PAPER_EPS), options.get("min_gap", 10))


def changepoints_from_proba(proba, settings: dict) -> np.ndarray:
    """The changepoints of segments_from_proba_by(proba, settings), without the segments' classes:
    int64 (K,), first points of new segments."""
    options = {k: v for k, v in settings.items() if k != "method"}
    if settings.get("method", "labels") == "contrast":
        p = _check_proba(proba)
        return _contrast_changepoints(p, options.get("window", 16), options.get("threshold", 0.4),
                                      options.get("min_gap", 10), "probability units")
    return segments_from_labels(labels_from_proba(proba), min_length=options.get("min_gap", 1))[0]


def segments_from_proba_by(proba, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch to segments_from_labels of the argmax ("labels", runs under min_gap absorbed) or
    segments_from_proba_contrast ("contrast"). proba: (L, n_classes) of one trajectory."""
    options = {k: v for k, v in settings.items() if k != "method"}
    if settings.get("method", "labels") == "contrast":
        return segments_from_proba_contrast(proba, **options)
    return segments_from_labels(labels_from_proba(proba), min_length=options.get("min_gap", 1))


# --- one track: the networks' outputs -> changepoints -> segments with their values -----------------


def combine_changepoints(alpha_changepoints, model_changepoints, length: int, min_gap: int = 10) -> np.ndarray:
    """One set of changepoints for a track of `length` points from the two networks' sets.

    Every alpha changepoint is kept (the Appendix algorithm already spaces them at least `min_gap`
    points apart and from the ends, and places each at the steepest change of alpha); then, in order
    of position, each model changepoint is added if it lies at least `min_gap` points from every kept
    changepoint and from both ends. A change that both networks see therefore counts once, where the
    alpha network put it. Either set may be empty; changepoints are first points of new segments.
    Returns a sorted int64 array; every resulting segment has at least `min_gap` points.
    """
    kept: list[int] = []
    for cp in [*np.asarray(alpha_changepoints, np.int64).tolist(), *np.asarray(model_changepoints, np.int64).tolist()]:
        if cp < min_gap or length - cp < min_gap:
            continue
        if all(abs(cp - k) >= min_gap for k in kept):
            kept.append(cp)
    return np.asarray(sorted(kept), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Segments:
    """The segments of one track of `length` points: where it changes, and a row of values per segment.

    changepoints : int64 (K,), the first point of each new segment, increasing, in 1 .. length-1.
    length : points in the track, L.
    values : per-segment columns, name -> array (K + 1,), in segment order; see segment_statistics
        (``alpha``, ``model``, ``probability``, ...). ``segments["alpha"]`` reads one.
    """

    changepoints: np.ndarray
    length: int
    values: dict

    def __len__(self) -> int:
        return self.changepoints.size + 1

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    @property
    def starts(self) -> np.ndarray:
        """First point of each segment, int64 (K + 1,)."""
        return np.concatenate(([0], self.changepoints)).astype(np.int64)

    @property
    def lengths(self) -> np.ndarray:
        """Points in each segment, int64 (K + 1,)."""
        return np.diff(np.append(self.starts, self.length))

    def labels(self) -> np.ndarray:
        """Segment index (0, 1, ...) of every point, int64 (L,)."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)


def alpha_clipped(alpha) -> np.ndarray:
    """True where a point-wise alpha sits at the bound the predictions are clipped to, ALPHA_MIN or
    ALPHA_MAX (a network's raw output lands exactly on a bound with probability zero). Compared in
    float32, the networks' precision: a bound clipped in float32 is not exactly 0.05 in float64."""
    alpha = np.asarray(alpha).astype(np.float32)
    return (alpha <= np.float32(ALPHA_MIN)) | (alpha >= np.float32(ALPHA_MAX))


def segment_columns(alpha: bool, proba: bool, likelihood: bool = False) -> list[str]:
    """Names of the per-segment values segment_statistics (and, with `likelihood`, refine_segments)
    return, in order, given which point-wise outputs there were; the segments table has these columns
    (also when no track was long enough)."""
    names = []
    if alpha:
        names += ["alpha", "alpha_se", "alpha_method", "alpha_network"] if likelihood else ["alpha"]
        names.append("alpha_clipped")
        if likelihood:
            names += ["K", "K_se", "localization_error", "localization_error_se", "units"]
            names = ["first_frame_low", "first_frame_high"] + names
    return names + (["model", "probability"] if proba else [])


def segment_statistics(positions, changepoints, *, alpha=None, proba=None, classes=MODELS) -> dict:
    """Per-segment values of one track: the one place where what is reported per segment is computed,
    for Predictor.segment, uandi.segment's segments table and the files written from it.

    positions : (L, 2) the track's positions in the input's units (for statistics of the motion
        itself; the network-based values below do not read them).
    changepoints : int64 (K,), first points of new segments.
    alpha : (L,) point-wise alpha, or None. proba : (L, C) class probabilities in the order
        `classes`, or None.

    Returns columns (each (K + 1,)), named as segment_columns lists them: ``alpha`` = mean of the
    point-wise alpha (dimensionless); ``alpha_clipped`` = the share of the segment's points (0 to 1)
    whose alpha sits at the networks' bound ALPHA_MIN or ALPHA_MAX (0.05, 2), where the true exponent
    may lie beyond and the mean is biased towards the bound; ``model`` = the class with the largest
    mean probability (its name); ``probability`` = that mean probability.
    """
    values = {}
    if alpha is not None:
        values["alpha"] = segment_means(alpha, changepoints)
        values["alpha_clipped"] = segment_means(alpha_clipped(alpha).astype(np.float64), changepoints)
    if proba is not None:
        mean_p = segment_means(proba, changepoints)  # (K + 1, C)
        best = mean_p.argmax(axis=1)
        values["model"] = np.asarray(classes, dtype=object)[best]
        values["probability"] = mean_p[np.arange(best.size), best]
    return values


def classifier_columns(classes) -> list[str]:
    """Names of the per-segment columns classify_segments adds, for a classifier of `classes`."""
    return ["classifier_model", "classifier_probability", *(f"classifier_p_{c}" for c in classes)]


def classify_segments(tracks: list, segments: list, classify, classes) -> list:
    """Each segment labelled as a whole by a trajectory classifier (the paper's use of WADNet, Sec. V).

    tracks : (L_i, 2) positions of each track, input units. segments : one Segments per track.
    classify : a callable taking a list of (n_j, 2) positions, one per segment (n_j >= MIN_SEGMENT),
        and returning their class probabilities (n_segments, C), C = len(classes) (for instance the
        trajectory-model network's predict_proba); called once for all segments of all tracks.
    Adds to each Segments' values the columns classifier_columns(classes): ``classifier_model`` (the
    most probable class), ``classifier_probability`` (its probability) and ``classifier_p_<class>``;
    a segment under MIN_SEGMENT points (possible only with min_gap < 10) gets NaN and None.
    Returns `segments`.
    """
    from .constants import MIN_SEGMENT

    classes = tuple(classes)
    parts, owner = [], []
    for k, (x, seg) in enumerate(zip(tracks, segments)):
        for s, (start, length) in enumerate(zip(seg.starts.tolist(), seg.lengths.tolist())):
            if length >= MIN_SEGMENT:
                parts.append(np.asarray(x)[start : start + length])
                owner.append((k, s))
    proba = np.asarray(classify(parts), dtype=np.float64) if parts else np.zeros((0, len(classes)))
    if proba.shape != (len(parts), len(classes)):
        raise ValueError(f"the classifier gave probabilities of shape {proba.shape} for {len(parts)} segments "
                         f"and {len(classes)} classes")
    for seg in segments:
        n = len(seg)
        seg.values["classifier_model"] = np.full(n, None, dtype=object)
        seg.values["classifier_probability"] = np.full(n, np.nan)
        for c in classes:
            seg.values[f"classifier_p_{c}"] = np.full(n, np.nan)
    for (k, s), p in zip(owner, proba):
        values, best = segments[k].values, int(p.argmax())
        values["classifier_model"][s] = classes[best]
        values["classifier_probability"][s] = p[best]
        for c, value in zip(classes, p):
            values[f"classifier_p_{c}"][s] = value
    return segments


def segment_track(positions, *, alpha=None, proba=None, alpha_rule: dict | None = None,
                  model_rule: dict | None = None, min_gap: int = 10, classes=MODELS) -> Segments:
    """Segment one track from the point-wise outputs of one network or both (SCIENCE.md section 5).

    positions : (L, 2), the track's positions (input units). alpha : (L,) point-wise alpha or None;
    proba : (L, C) class probabilities (order `classes`) or None; at least one of them.
    alpha_rule, model_rule : settings as alpha_postprocess_settings / model_postprocess_settings return
        (default: the paper's Appendix rule; a changepoint at every class change).
    min_gap : shortest segment, in points, when the two networks' changepoints are merged
        (combine_changepoints).
    """
    if alpha is None and proba is None:
        raise ValueError("segment_track needs the point-wise alpha, the class probabilities, or both")
    length = len(positions)
    alpha_cps = changepoints_from_alpha(alpha, alpha_rule or PAPER_SETTINGS) if alpha is not None else []
    model_cps = changepoints_from_proba(proba, model_rule or LABEL_SETTINGS) if proba is not None else []
    changepoints = combine_changepoints(alpha_cps, model_cps, length, min_gap)
    return Segments(changepoints, length,
                    segment_statistics(positions, changepoints, alpha=alpha, proba=proba, classes=classes))


# --- the exact likelihood of each segment (SCIENCE.md section 8) --------------------------------------

# How the likelihood takes over the alpha task: the alpha network proposes candidate changepoints at a
# low threshold (high recall), the penalised FBM likelihood keeps a subset (at the network's positions:
# refine 0), and every segment's alpha, K and localization error are its exact maximum-likelihood
# estimates. Chosen on a tuning set of our own seed by benchmarks/likelihood.py (docs/likelihood.md).
# Moving each kept changepoint to the likelihood's best position within +-4 points (refine 4) lowered
# the changepoint F1 from 0.854 to 0.840 (600 subtask-1 tracks, L = 500; 0.814 to 0.809 at L = 200) at
# an equal MAE: the network places a change better than the likelihood of the two segments beside it
# (started at the true changepoint, that likelihood's best position is 10 or more points away for 17 %
# of the changes with |delta alpha| 0.5-0.8, 7 % with 0.8-1.2).
# "place": each kept changepoint is then moved to the posterior median within the +-9-point stretch that
# holds most of its position's posterior (likelihood.place_changepoints: the position most likely within
# the scorer's 10-point tolerance; the likelihood's own maximum, above, chases noise where the profile is
# flat): on the tuning seed (1,000 subtask-1 tracks, L = 500) F1 0.862 -> 0.869, MAE 0.0659 -> 0.0649
# (docs/likelihood.md part K). 0 keeps the network's positions.
# "penalty_slope": the penalty follows the rate of changes in the file (likelihood.select_changepoints: 5 at
# 0.005 changes per point, -2 per factor e more; empirical Bayes, the penalty being the log prior odds against a
# change). Subtask-1 tracks of 100 / 200 points change more often per point than those of 500 (2-5 segments
# whatever the length), and a fixed penalty 5 tuned at 500 points left their changes unfound: on the tuning
# seed (1,000 tracks per length) MAE 0.2041 -> 0.1833 at L = 100, 0.1224 -> 0.1205 at 200, 0.0649 -> 0.0650 at
# 500 (F1 0.708 -> 0.791, 0.802 -> 0.810, 0.869 -> 0.870); slope 1 / 1.5 gained half / three quarters of it.
# The rate is per point of the file, as a switching process with a rate per frame gives it, not per track.
# "step_windows", "step_threshold": candidates where the mean log step size changes too (_step_candidates;
# None: none), for changes of K alone, which neither network sees. On andi-datasets' models_phenom tracks
# that switch D at one alpha (benchmarks/phenom.py, docs/phenom.md) F1 0.661 -> 0.770 at L = 200 and
# 0.614 -> 0.742 at L = 500, K's 95 % intervals holding the truth 0.80 -> 0.88 and 0.73 -> 0.87; on our
# subtask-1 sets (accuracy.py's seeds, 1,000 tracks each; no change of K alone in them) MAE +0.0001 to
# +0.0004, F1 -0.001 to -0.003 (the likelihood's penalty, tuned on fewer candidates, accepts a few more
# chance splits). Threshold 3.5 found no more (0.769 / 0.747) and cost twice as much there; 4.5 found less.
# "allowance": alpha_se holds the uncertainty of the chosen changepoints (likelihood.changepoint_allowance;
# on the subtask-1 sets 95 % intervals covered 91-94 % of found segments with it, 89-92 % without: part H).
# "missed_allowance": with it, alpha_se also holds the odds of the candidates not chosen inside a segment
# (likelihood.missed_change_allowance; found segments covered 0.934-0.950 with it, 0.931-0.947 without).
# "noise": "track" = one localization error per track, searched over its segments (fit_segments; with
# the ends known, MAE 0.068 / 0.079 at sigma_n 0.3 / 0.6 against 0.086 / 0.125 for "auto": part H); a
# number = the localization error known (uandi.segment's localization_error: part J).
# "blur_check": note motion-blurred steps when the exposure is 0 (blur_notice; part I).
LIKELIHOOD_SETTINGS = {"window": 12, "threshold": 0.06, "step_windows": (8, 16, 32), "step_threshold": 4.0,
                       "penalty": 5.0, "penalty_slope": 2.0, "refine": 0, "place": 9,
                       "noise": "track",
                       "exposure": 0.0, "min_points": 10, "min_probability": 0.85, "allowance": True,
                       "missed_allowance": True, "blur_check": True,
                       # with both tasks, the likelihood also chooses changepoints inside the segments called
                       # FBM surely (_cut_fbm_segments)
                       "fbm_changepoints": True,
                       # with both tasks, the SBM likelihood places the start of each segment called SBM
                       # surely (_place_sbm_starts)
                       "sbm_starts": True,
                       # uandi.alpha_error's table for the networks in use (None: the network's alpha keeps no
                       # error bar); uandi.segment passes the shipped one when both shipped networks run
                       "alpha_error": None}
# the motion-blur notice (blur_notice): at least this many blocks, and a mean gain per block whose lower
# two-standard-error bound clears this (blur-free FBM: 0.0-0.3 per block; docs/likelihood.md part I)
BLUR_MIN_BLOCKS = 10
BLUR_MIN_GAIN = 0.5


# the Brownian-look notice (brownian_notice): near alpha = 1 these three models are all Brownian motion
LOOK_ALIKE = ("attm", "fbm", "sbm")
BROWNIAN_MIN_SHARE = 0.5  # share of the analysed points in such segments that gives the notice


def brownian_notice(mean_proba, points, classes=MODELS, min_probability: float = 0.85,
                    error_bars: bool = False) -> str | None:
    """The note to give when most points lie in segments that look like Brownian motion, else None.

    Such a segment's class is doubtful - no class reaches min_probability - but ATTM, FBM and SBM
    together do: near alpha = 1 the three are one motion (ATTM within one of its periods too), so the
    diffusion-model network cannot choose and the segment keeps the alpha network's value, with no error
    bar or (error_bars, with uandi.alpha_error's table) the wide one measured on simulated segments. The
    shipped five-model alpha network reads simulated Brownian motion as about 0.89 there (ATTM's
    exponents lie below 1; docs/real_data.md), where the exact FBM likelihood reads 1.00 with a narrow
    error bar; the choice of a Gaussian model is the user's, who knows the sample. The note names tracks
    whose D switches between Gaussian stretches too: both tasks call such a switcher ATTM or doubtful and
    find about half of its changes, --tasks alpha 95-98 % of those with 20 points either side
    (andi-datasets' models_phenom, docs/phenom.md).

    mean_proba: (S, C) mean class probabilities of S segments, classes in the order `classes`.
    points: (S,) points per segment.
    """
    p = np.asarray(mean_proba, dtype=float).reshape(len(points), -1)
    points = np.asarray(points, dtype=float)
    alike = [list(classes).index(c) for c in LOOK_ALIKE if c in classes]
    if len(alike) < 2 or points.sum() == 0:
        return None
    brownian = (p.max(axis=1) < min_probability) & (p[:, alike].sum(axis=1) >= min_probability)
    share = points[brownian].sum() / points.sum()
    if share < BROWNIAN_MIN_SHARE:
        return None
    bar = "with a wide error bar measured on simulated tracks" if error_bars else "without an error bar"
    return (f"{share:.0%} of the analysed points lie in segments that look like Brownian motion (ATTM, FBM and SBM "
            f"alike, none of them sure): they keep the network's alpha, {bar}, and the five-model "
            f"network reads Brownian motion low (about 0.89). For tracks that are Gaussian between their changes "
            f"(FBM or Brownian motion, also where D switches, as in binding and unbinding; not trapping), "
            f"--tasks alpha finds the changes of alpha and of D and gives each segment's exact alpha and K with "
            f"error bars")


def _chance_rejections(n: int) -> float:
    """Rejections of a correct stated localization error among n segments that chance explains (the
    5 % test's expected count plus two binomial standard deviations)."""
    return 0.05 * n + 2 * np.sqrt(0.05 * 0.95 * n)


def blur_notice(evidence) -> str | None:
    """The note to give when likelihood.blur_evidence finds the steps motion-blurred, else None.

    Blur is read as super-diffusion by a fit that ignores it (Granik's Brownian beads: alpha 1.16-1.18
    without --exposure, 0.95-0.97 with it); the fix is the user's, who knows the camera's exposure."""
    from .likelihood import BLUR_BLOCK

    mean, se = evidence.mean_gain()
    if len(evidence.gain) < BLUR_MIN_BLOCKS or not mean - 2 * se > BLUR_MIN_GAIN:
        return None
    return (f"the steps look motion-blurred: on {len(evidence.gain)} stretches of {BLUR_BLOCK} steps of FBM "
            f"segments, positions averaged over a whole frame explain them better than instantaneous ones "
            f"(log-likelihood +{mean:.1f} +- {se:.1f} per stretch), and alpha then reads "
            f"{np.median(evidence.alpha_blurred):.2f} instead of {np.median(evidence.alpha_sharp):.2f} (medians). "
            "A camera that integrates light over the exposure makes steps look correlated, like "
            "super-diffusion; if yours does, give the exposure as a fraction of the frame interval "
            "(uandi segment --exposure 1.0; uandi.segment(..., exposure=1.0))")


def assumes_fbm(predictor) -> bool:
    """True for an alpha network trained on FBM segments only (the paper's subtask 1): its segments may
    be taken as FBM, so the FBM likelihood may choose its changepoints and measure every segment. False
    for one trained on the five-model mix (card ``training.sim_task == "model"``), whose segments need
    the diffusion-model network to say which are FBM."""
    from .weights import trained_on

    return trained_on(getattr(predictor, "card", None)) in (None, "alpha")


def likelihood_units(pixel_size: float | None = None, frame_interval: float | None = None) -> str:
    """The units of K and of the localization error, as written in the `units` column."""
    length = "um" if pixel_size is not None else "input units"
    time = "s" if frame_interval is not None else "frame"
    return f"K: {length}^2/{time}^alpha; localization_error: {length}"


def _likelihood_classes(seg: Segments, min_probability: float) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: the model its exact likelihood would assume (the diffusion-model network's class,
    "fbm" without one: FBM assumed) and whether that class is sure (probability >= min_probability;
    always without the model task). A doubtful class gets no likelihood: it would put a tight error
    bar on a guess."""
    n = len(seg)
    labels = np.asarray(seg.values["model"], dtype=object) if "model" in seg.values else np.full(n, "fbm", dtype=object)
    if "probability" not in seg.values:
        return labels, np.ones(n, dtype=bool)
    return labels, np.asarray(seg.values["probability"], dtype=float) >= min_probability


def _allowances_by_span(lengths: list, changepoints: list, evidence: list, penalty: float,
                        missed: list | None = None) -> list:
    """Per track, (start, end) of each segment of the likelihood's partition -> the alpha variance its
    changepoints' uncertainty adds (likelihood.changepoint_allowance, both ends summed; one call for all
    tracks), plus the changes not chosen (missed: per track one variance per segment,
    likelihood.missed_change_allowance). A segment that the diffusion-model network's changepoints later
    cut is not in the final table: it then gets no allowance."""
    from .likelihood import changepoint_allowance

    counts = [len(cps) for cps in changepoints]
    rows = [np.asarray(ev, dtype=float).reshape(-1, 4) for ev in evidence]
    before, after = changepoint_allowance(np.concatenate(rows) if rows else np.zeros((0, 4)), penalty)
    out, at = [], 0
    for t, (length, cps, k) in enumerate(zip(lengths, changepoints, counts)):
        nodes = [0, *np.asarray(cps).tolist(), length]
        extra = np.zeros(k + 1) if missed is None else np.array(missed[t], dtype=float)
        extra[:-1] += before[at : at + k]
        extra[1:] += after[at : at + k]
        at += k
        out.append(dict(zip(zip(nodes[:-1], nodes[1:]), extra.tolist())))
    return out


def _likelihood_changepoints(pieces: list, alpha: list, known: list, cfg: dict, min_gap: int, pool) -> tuple:
    """Changepoints chosen by the exact FBM likelihood in each piece (positions (L_i, 2): whole tracks, or the
    stretches of them where FBM is assumed) among the candidates: the alpha network's contrast peaks (alpha:
    each piece's point-wise alpha), `known` changepoints (each piece's) and where the step size changes.
    Returns per piece: the chosen changepoints (int64), (start, end) of each segment of its partition ->
    the alpha variance that its changepoints' doubt adds (empty without cfg["allowance"]), and each chosen
    change -> the 95 % interval of its position."""
    from .likelihood import select_changepoints, warm_factors

    if active(pool):  # every segment gets the FBM fit: the processes compute its factors meanwhile
        warm_factors(pool, max(len(x) for x in pieces), cfg["exposure"], cfg["noise"])
    cands = _candidates_in_workers(pool, pieces, alpha, known, cfg, min_gap) if active(pool) else \
        _candidates(pieces, alpha, known, cfg, min_gap)
    used = {}
    chosen, *evidence, posteriors = select_changepoints(
        pieces, cands, penalty=cfg["penalty"], refine=cfg["refine"], place=cfg["place"], min_gap=min_gap,
        exposure=cfg["exposure"], evidence=cfg["allowance"], posteriors=True, penalty_slope=cfg["penalty_slope"],
        info=used, workers=pool, missed=cfg["allowance"] and cfg["missed_allowance"])
    allowances = [{} for _ in pieces]
    if cfg["allowance"]:  # the penalty the partition used is the prior log odds against each change
        missed = evidence[1] if cfg["missed_allowance"] else None
        allowances = _allowances_by_span([len(x) for x in pieces], chosen, evidence[0], used["penalty"], missed)
    intervals = [{int(c): post.interval(0.95) for c, post in zip(cps.tolist(), per)}
                 for cps, per in zip(chosen, posteriors)]
    return chosen, allowances, intervals


def _candidates(pieces: list, alpha: list, known: list, cfg: dict, min_gap: int) -> list:
    """_likelihood_changepoints' candidates in each piece (positions (L_i, 2)): the alpha contrast rule's
    changepoints (segments_from_alpha_contrast's without its segment means, at the settings' low
    threshold), the `known` ones, and where the step size changes. One sorted int64 array per piece."""
    peaks = _alpha_candidates(alpha, cfg["window"], cfg["threshold"], 5)
    cands = [np.union1d(p, k) for p, k in zip(peaks, known)]
    if cfg["step_threshold"] is not None:  # and where the step size changes (a change of K alone)
        steps = _step_candidates(pieces, cfg["step_windows"], cfg["step_threshold"], min_gap)
        cands = [np.union1d(c, q) for c, q in zip(cands, steps)]
    return cands


def _candidates_in_workers(pool, pieces: list, alpha: list, known: list, cfg: dict, min_gap: int) -> list:
    """_candidates in the workers' processes, a chunk of the pieces (cut by their points) each: each piece's
    candidates depend on it alone, and the parent would otherwise find them all while the processes, done
    warming their factors, wait (3.7 of the parent's 8.3 s alone on 10,000 subtask-1 tracks)."""
    chunks = split([len(x) for x in pieces], pool.n)
    args = [(Packed.of(pieces[part]), Packed.of(alpha[part]), Packed.of(known[part], dtype=np.int64), cfg, min_gap)
            for part in chunks]
    return [c for found in pool.starmap(_candidates_chunk, args) for c in found.unpack()]


def _candidates_chunk(pieces: Packed, alpha: Packed, known: Packed, cfg: dict, min_gap: int) -> Packed:
    """One worker's share of _candidates_in_workers."""
    return Packed.of(_candidates(pieces.unpack(), alpha.unpack(), known.unpack(), cfg, min_gap), dtype=np.int64)


def _with_intervals(x, cps, alpha, proba, classes, intervals: dict) -> Segments:
    """A track's Segments at changepoints cps, with first_frame_low and first_frame_high: the 95 % interval
    of each change the likelihood placed (`intervals`, change -> (low, high)); NaN for the first segment and
    for a change of class alone."""
    values = segment_statistics(x, cps, alpha=alpha, proba=proba, classes=classes)
    low, high = np.full(len(cps) + 1, np.nan), np.full(len(cps) + 1, np.nan)
    for i, c in enumerate(np.asarray(cps).tolist()):
        if c in intervals:
            low[i + 1], high[i + 1] = intervals[c]
    values.update(first_frame_low=low, first_frame_high=high)
    return Segments(np.asarray(cps, dtype=np.int64), len(x), values)


def _cut_fbm_segments(tracks, segments, alpha, proba, classes, cfg: dict, min_gap: int, pool) -> tuple:
    """With both tasks: the FBM likelihood also chooses changepoints inside each segment that the
    diffusion-model network calls FBM surely (at least 2 min_gap points). FBM is assumed there, as with
    the alpha task alone, and a change of D within FBM (a particle binding or unbinding) moves neither
    network: such a segment kept one K, between the two states', with a tight error bar. The likelihood
    does not cut the other classes' segments (it would split ATTM, CTRW and LW at their own heterogeneity).
    Returns the new Segments and, per track, (start, end) -> the alpha variance that the changepoints'
    doubt adds to the segments of these partitions (_likelihood_changepoints)."""
    where = []  # (track, first point, points) of each segment cut
    for k, seg in enumerate(segments):
        labels, sure = _likelihood_classes(seg, cfg["min_probability"])
        for s, (start, length) in enumerate(zip(seg.starts.tolist(), seg.lengths.tolist())):
            if sure[s] and labels[s] == "fbm" and length >= 2 * min_gap:
                where.append((k, start, length))
    allowances = [{} for _ in tracks]
    if not where:
        return segments, allowances
    # each segment's own points (the step into its first point, which crosses the network's change, left out):
    # a change c chosen in a piece is point start + c of the track
    pieces = [tracks[k][a : a + n] for k, a, n in where]
    chosen, allowed, placed = _likelihood_changepoints(pieces, [alpha[k][a : a + n] for k, a, n in where],
                                                       [np.zeros(0, np.int64)] * len(where), cfg, min_gap, pool)
    cuts = {k: [] for k, _, _ in where}
    intervals = {k: {} for k, _, _ in where}
    for (k, a, _), cps, spans, piece_intervals in zip(where, chosen, allowed, placed):
        cuts[k] += (a + cps).tolist()
        allowances[k].update({(a + lo, a + hi): v for (lo, hi), v in spans.items()})
        intervals[k].update({a + c: (a + lo, a + hi) for c, (lo, hi) in piece_intervals.items()})
    out = list(segments)
    for k, extra in cuts.items():
        if extra:
            cps = np.union1d(segments[k].changepoints, np.array(extra, dtype=np.int64))
            out[k] = _with_intervals(tracks[k], cps, alpha[k], proba[k], classes, intervals[k])
    return out, allowances


def _place_sbm_starts(tracks, segments, alpha, proba, classes, cfg: dict, min_gap: int) -> list:
    """With both tasks: the start of each segment that the diffusion-model network calls SBM surely, after a
    segment it calls SBM too (surely or not), placed by the SBM likelihood (likelihood_sbm.locate_sbm_starts)
    between the preceding segment's first point and its own end. SBM's clock starts with its motion, so a
    start found late bends the segment's alpha towards 1 under a tight error bar (docs/likelihood.md part
    E); the networks tend to give the early steps of an SBM segment (small above alpha 1) to the segment
    before, or to cut the segment in two. A start moves where the likelihood prefers another by START_GAIN,
    and the two segments become one where one clock explains them as well; first_frame_low and
    first_frame_high then hold the start's 95 % interval. Segments called SBM after another class keep
    their start, and their fit averages over later clock offsets instead (likelihood_sbm's "late").
    Returns the new Segments."""
    from .likelihood import segment_positions
    from .likelihood_sbm import locate_sbm_starts

    where, stretches, found = [], [], []  # each SBM segment searched: (track, segment, the point its stretch's
    # first step goes into), the stretch's steps, the found start as an index into them
    for k, (x, seg) in enumerate(zip(tracks, segments)):
        labels, sure = _likelihood_classes(seg, cfg["min_probability"])
        starts, ends = seg.starts.tolist(), (seg.starts + seg.lengths).tolist()
        for s in range(1, len(seg)):
            # only after a segment called SBM too (surely or not): the SBM likelihood, Gaussian, cuts the
            # heavy-tailed, intermittent steps of CTRW and ATTM where no change is (it moved starts into them
            # by 10-90 frames on the five-model mix, and intervals that held came to miss)
            if sure[s] and labels[s] == "sbm" and labels[s - 1] == "sbm" and seg.lengths[s] >= cfg["min_points"]:
                first = max(starts[s - 1], 1)
                where.append((k, s, first))
                stretches.append(np.diff(segment_positions(x, starts[s - 1], ends[s]), axis=0))
                found.append(starts[s] - first)
    if not where:
        return segments
    located = locate_sbm_starts(stretches, found, min_gap=min_gap)
    moves = {}  # track -> {found start -> (new start or None to merge, its interval)}
    for (k, s, first), place in zip(where, located):
        a = int(segments[k].starts[s])
        if place.start == 0:
            moves.setdefault(k, {})[a] = (None, None)
        elif first + place.start != a or place.low != place.high:
            moves.setdefault(k, {})[a] = (first + place.start, (first + place.low, first + place.high))
    out = list(segments)
    for k, changes in moves.items():
        seg = segments[k]
        low, high = seg.values.get("first_frame_low"), seg.values.get("first_frame_high")
        intervals = {}  # the intervals already placed (the FBM cuts'), kept
        if low is not None:
            intervals = {int(c): (low[i + 1], high[i + 1]) for i, c in enumerate(seg.changepoints.tolist())
                         if np.isfinite(low[i + 1])}
        cps = []
        for c in seg.changepoints.tolist():
            new, interval = changes.get(c, (c, intervals.get(c)))
            if new is not None and cps and new - cps[-1] < min_gap:  # moved too close to the change before it
                new, interval = c, intervals.get(c)  # (a start moved later just before): the found one stays
            if new is None or (cps and new - cps[-1] < min_gap):
                continue  # merged, or too close to the change before it
            cps.append(new)
            if interval is not None:
                intervals[new] = interval
        out[k] = _with_intervals(tracks[k], np.array(cps, dtype=np.int64), alpha[k], proba[k], classes, intervals)
    return out


def refine_segments(tracks: list, segments: list, *, alpha: list, proba: list | None = None,
                    model_rule: dict | None = None, classes=MODELS, changepoints: bool = True,
                    pixel_size: float | None = None, frame_interval: float | None = None,
                    settings: dict | None = None, workers: int | None = 1) -> list:
    """The likelihood stage for many tracks at once: changepoints chosen by the exact FBM likelihood among
    the alpha network's candidates (if `changepoints`), then each segment's exact alpha, K and
    localization error with standard errors (uandi.likelihood). Batched over every segment of every track.

    tracks : (L_i, 2) positions, input units. segments : one Segments per track (segment_track's).
    alpha, proba : the point-wise network outputs of each track (proba None without the model task).
    model_rule : how the diffusion-model network's changepoints were found; they are kept beside the
        likelihood's (the FBM likelihood cannot see a change of model at the same alpha).
    pixel_size : micrometres per input unit; frame_interval : seconds per frame (None: input units and
        frames). settings : LIKELIHOOD_SETTINGS overrides.
    workers : processes for the likelihoods (uandi.workers; None = the CPUs available, at most 4; used on
        Linux, for inputs large enough to gain from them); the answers do not depend on it.

    Segments classified SBM (model task) get the exact SBM likelihood's alpha and K instead
    (uandi.likelihood_sbm; with the segment's own localization error, kept where its test passes, or
    the one stated where the segment accepts it). Segments classified ATTM, CTRW or LW keep the
    network's alpha and get no K: no exact likelihood of ours fits them. Segments under `min_points`
    points, and segments whose class has a probability under `min_probability` (a doubtful class: its
    likelihood would put a tight error bar on a guess), keep the network's alpha too.
    With `changepoints`, the alpha_se of an FBM segment also holds the uncertainty of its changepoints
    (likelihood.changepoint_allowance: a change chosen just above the penalty may not be real, and then
    the segments beside it are one); docs/likelihood.md part H measures the coverage it brings.
    With `changepoints`, each chosen change is placed by the posterior of its position (setting "place",
    likelihood.place_changepoints; docs/likelihood.md part K).
    Without `changepoints` but with `proba` (both tasks), the likelihood chooses changepoints inside the
    segments classified FBM surely (setting "fbm_changepoints", _cut_fbm_segments): a change of D within
    FBM, which neither network sees, with the same allowances and position intervals. With `proba`, the SBM
    likelihood also places the start of each segment called SBM surely after one called SBM (setting
    "sbm_starts", _place_sbm_starts), or makes the two one, where the network's change would leave the
    segment's clock started late (docs/likelihood.md part E).
    Returns new Segments whose columns are segment_columns(..., likelihood=True): first_frame_low and
    first_frame_high (the 95 % interval of the point where the segment begins, where the likelihood
    placed that change; NaN elsewhere: a track's first segment, a change of class, `changepoints` off),
    alpha (the exact estimate where `alpha_method` starts with "likelihood"), alpha_se (where it starts
    with "network": the network's error measured on simulated segments, from settings["alpha_error"],
    uandi.alpha_error's table; NaN without one), alpha_method,
    alpha_network, K, K_se, localization_error(_se) and units.
    """
    check_units(pixel_size, frame_interval)
    # ordinary pages: where the kernel compacts memory for huge ones, first touching the stage's fresh arrays
    # stalls (the stage 1.2-1.9x faster in one process without them: workers.small_pages)
    with small_pages(), worker_pool(workers, sum(len(x) for x in tracks)) as pool:
        return _refine_segments(tracks, segments, alpha, proba, model_rule, classes, changepoints, pixel_size,
                                frame_interval, {**LIKELIHOOD_SETTINGS, **(settings or {})}, pool)


def _refine_segments(tracks, segments, alpha, proba, model_rule, classes, changepoints, pixel_size, frame_interval,
                     cfg, pool) -> list:
    """refine_segments with its settings merged and its worker pool (or None) open."""
    from .likelihood import blur_evidence, fit_segments, segment_positions
    from .likelihood_sbm import fit_sbm_segments

    min_gap = (model_rule or {}).get("min_gap", 10)
    allowances = [{} for _ in tracks]  # per track: (start, end) -> alpha variance its changepoints add
    if changepoints and tracks:
        chosen, allowances, intervals = _likelihood_changepoints(tracks, alpha, [seg.changepoints for seg in segments],
                                                                 cfg, min_gap, pool)
        new = []
        for k, (x, cps) in enumerate(zip(tracks, chosen)):
            p = proba[k] if proba is not None else None
            if p is not None:
                cps = combine_changepoints(cps, changepoints_from_proba(p, model_rule or LABEL_SETTINGS), len(x),
                                           min_gap)
            new.append(_with_intervals(x, cps, alpha[k], p, classes, intervals[k]))
        segments = new
    elif proba is not None and cfg["fbm_changepoints"] and tracks:
        segments, allowances = _cut_fbm_segments(tracks, segments, alpha, proba, classes, cfg, min_gap, pool)
    if proba is not None and cfg["sbm_starts"] and tracks:
        segments = _place_sbm_starts(tracks, segments, alpha, proba, classes, cfg, min_gap)
    pieces, owner, sbm_pieces, sbm_owner, sbm_starts = [], [], [], [], []
    for k, (x, seg) in enumerate(zip(tracks, segments)):
        labels, sure = _likelihood_classes(seg, cfg["min_probability"])
        for s, (start, length) in enumerate(zip(seg.starts.tolist(), seg.lengths.tolist())):
            if length >= cfg["min_points"] and sure[s] and labels[s] == "fbm":
                pieces.append(segment_positions(x, start, start + length))
                owner.append((k, s))
            elif length >= cfg["min_points"] and sure[s] and labels[s] == "sbm":
                sbm_pieces.append(segment_positions(x, start, start + length))
                # after a segment of another class the start search does not look, and the start may lie
                # well after the motion began: the clock offsets reach further (likelihood_sbm "late")
                sbm_starts.append("late" if s > 0 and labels[s - 1] != "sbm" else "found")
                sbm_owner.append((k, s))
    # noise: one localization error per track, shared by its segments (fit_segments mode "track")
    fit = None
    if pieces:
        fit = fit_segments(pieces, noise=cfg["noise"], exposure=cfg["exposure"], groups=[k for k, _ in owner],
                           workers=pool)
        if cfg["blur_check"] and cfg["exposure"] == 0:
            message = blur_notice(blur_evidence(pieces, workers=pool, clear_below=BLUR_MIN_GAIN))
            if message:
                notify(message)
    stated = None if isinstance(cfg["noise"], (str, bool)) else cfg["noise"]  # a known localization error
    # the SBM fit's noise: fitted per segment ("track", "auto", True), none (False), or the one stated
    sbm_noise = True if isinstance(cfg["noise"], str) else cfg["noise"]
    sbm_fit = fit_sbm_segments(sbm_pieces, workers=pool, starts=sbm_starts, noise=sbm_noise) if sbm_pieces else None
    units = likelihood_units(pixel_size, frame_interval)
    length_factor = pixel_size if pixel_size is not None else 1.0
    log_dt = np.log(frame_interval) if frame_interval is not None else 0.0
    for seg in segments:
        n = len(seg)
        net = np.asarray(seg.values["alpha"], dtype=float)
        seg.values.setdefault("first_frame_low", np.full(n, np.nan))  # changepoints not chosen here: no interval
        seg.values.setdefault("first_frame_high", np.full(n, np.nan))
        seg.values.update(alpha_network=net.copy(), alpha_se=np.full(n, np.nan), K=np.full(n, np.nan),
                          K_se=np.full(n, np.nan), localization_error=np.full(n, np.nan),
                          localization_error_se=np.full(n, np.nan), units=np.full(n, units, dtype=object))
        method = np.full(n, "network", dtype=object)
        if "model" in seg.values:
            method[:] = [f"network (segment classified {m})" if m != "fbm" else "network" for m in seg.values["model"]]
        labels, sure = _likelihood_classes(seg, cfg["min_probability"])
        for s in np.flatnonzero(~sure):  # a doubtful class of any model: say so, not "classified attm"
            # rounded down: 0.8497 reads 0.84 < 0.85, not 0.85 < 0.85
            p_shown = np.floor(seg.values['probability'][s] * 100 + 1e-9) / 100
            method[s] = (f"network (classified {labels[s]} with probability {p_shown:.2f} "
                         f"< {cfg['min_probability']:g})")
        method[seg.lengths < cfg["min_points"]] = f"network (under {cfg['min_points']} points)"
        seg.values["alpha_method"] = method

    def store(k, s, alpha, alpha_se, at_bound, k_frames, k_se_frames, cov, method, extra=0.0):
        """One segment's exact estimates, K converted to length^2 / time^alpha (log-scale delta method).
        extra: the alpha variance the chosen changepoints add (changepoint_allowance), in alpha_se and so
        in K_se's alpha term (log_dt^2 alpha_se^2) with --frame-interval."""
        v = segments[k].values
        v["alpha"][s] = alpha
        v["alpha_se"][s] = np.nan if at_bound else np.sqrt(alpha_se**2 + extra)
        v["alpha_method"][s] = method
        # K of inputs near 1e+-300 leaves the float range: inf or 0 (and no error) without a warning
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_k = np.log(k_frames) + 2 * np.log(length_factor) - alpha * log_dt
            logk_se = k_se_frames / k_frames
            var = logk_se**2 + log_dt**2 * (alpha_se**2 + extra) - 2 * log_dt * cov
            v["K"][s] = np.exp(log_k)
            v["K_se"][s] = np.exp(log_k) * np.sqrt(var) if var >= 0 else np.nan

    refitted = fit.sigma != stated if stated is not None and pieces else np.zeros(len(owner), bool)
    if refitted.sum() >= 3 and refitted.sum() > _chance_rejections(len(owner)):
        notify(f"the localization error given ({stated:g} input units) does not fit {refitted.sum()} of {len(owner)} "
               f"FBM segments (about {0.05 * len(owner):.0f} expected by chance): there it was fitted instead "
               f"(median {np.median(fit.sigma[refitted]):.3g}; column alpha_method); check its value and unit")
    bounds = {k: np.append(segments[k].starts, segments[k].length).tolist() for k in {k for k, _ in owner}}
    for i, (k, s) in enumerate(owner):
        # the uncertainty of the chosen changepoints themselves (likelihood.changepoint_allowance)
        span = (bounds[k][s], bounds[k][s + 1])
        method = "likelihood (at the edge of 0.05-1.99)" if fit.at_bound[i] else "likelihood"
        if refitted[i]:
            method += " (localization error fitted: the one given does not fit this segment)"
        store(k, s, fit.alpha[i], fit.alpha_se[i], fit.at_bound[i], fit.K[i], fit.K_se[i], fit.alpha_logk_cov[i],
              method, extra=allowances[k].get(span, 0.0))
        segments[k].values["localization_error"][s] = fit.sigma[i] * length_factor
        segments[k].values["localization_error_se"][s] = fit.sigma_se[i] * length_factor
    for i, (k, s) in enumerate(sbm_owner):
        if not np.isfinite(sbm_fit.alpha[i]):
            segments[k].values["alpha_method"][s] = "network (segment classified sbm, never moves)"
            continue
        method = "likelihood (SBM, at the edge of 0.05-2)" if sbm_fit.at_bound[i] else "likelihood (SBM)"
        if stated is not None and sbm_fit.sigma[i] != stated:
            method += " (localization error fitted: the one given does not fit this segment)"
        store(k, s, sbm_fit.alpha[i], sbm_fit.alpha_se[i], sbm_fit.at_bound[i], sbm_fit.K[i], sbm_fit.K_se[i],
              sbm_fit.alpha_logk_cov[i], method)
        # the segment's own localization error (the SBM fit's; 0 where its noise test did not keep one)
        segments[k].values["localization_error"][s] = sbm_fit.sigma[i] * length_factor
        segments[k].values["localization_error_se"][s] = sbm_fit.sigma_se[i] * length_factor
    if cfg["alpha_error"] is not None:  # the network's alpha gets the error measured on simulated segments
        for seg in segments:
            mine = np.array([str(m).startswith("network") for m in seg.values["alpha_method"]], bool)
            if mine.any() and "model" in seg.values:
                seg.values["alpha_se"][mine] = lookup_alpha_error(
                    cfg["alpha_error"], np.asarray(seg.values["model"], dtype=object)[mine],
                    np.asarray(seg.values["probability"])[mine] >= cfg["min_probability"], seg.lengths[mine])
    if proba is not None and segments:
        mean_p = np.concatenate([segment_means(p, seg.changepoints) for p, seg in zip(proba, segments)])
        message = brownian_notice(mean_p, np.concatenate([seg.lengths for seg in segments]), classes,
                                  cfg["min_probability"], error_bars=cfg["alpha_error"] is not None)
        if message:
            notify(message)
    return segments
