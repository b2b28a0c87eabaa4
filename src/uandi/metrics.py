"""Scores of the paper and of the AnDi challenges (SCIENCE.md section 5).

- Subtask 1 (alpha, dimensionless): ``mae`` (paper Eq. 2) and ``mae_by_alpha``.
- Subtask 2 (class labels, indices into ``uandi.constants.MODELS``): ``mdice`` (paper Eq. 3, which is
  the per-trajectory point accuracy averaged over trajectories), the stricter per-class
  ``dice_per_class`` / ``macro_dice``, and ``confusion_matrix``.
- Changepoints (0-based index, in frames, of the first point of each new segment):
  ``match_changepoints`` for one trajectory and ``changepoint_scores`` (TP, FP, FN, F1, JSC, RMSE and the
  dc histogram data) for many.

Point-wise arguments accept a numpy array of any shape, or a list of 1D arrays of varying lengths
(one per trajectory); ``pred`` and ``true`` must match point for point.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from .checks import check_int
from .constants import ALPHA_MAX, ALPHA_MIN, MODELS

__all__ = [
    "mae",
    "mae_by_alpha",
    "mdice",
    "dice_per_class",
    "macro_dice",
    "confusion_matrix",
    "match_changepoints",
    "changepoint_scores",
]


def _as_trajectories(x, name: str) -> list[np.ndarray]:
    """A list of per-trajectory arrays from a list/tuple of arrays or from an array (rows)."""
    if isinstance(x, (list, tuple)):
        return [np.asarray(t) for t in x]
    arr = np.asarray(x)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array or a list of arrays, got a scalar")
    return list(arr) if arr.ndim >= 2 else [arr]


def _paired(pred, true) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-trajectory pred/true pairs with matching shapes, raising a clear error otherwise."""
    if not isinstance(pred, (list, tuple)) and not isinstance(true, (list, tuple)):
        p, t = np.asarray(pred), np.asarray(true)
        if p.shape != t.shape:
            raise ValueError(f"pred and true must have the same shape; got {p.shape} and {t.shape}")
    preds, trues = _as_trajectories(pred, "pred"), _as_trajectories(true, "true")
    if len(preds) != len(trues):
        raise ValueError(f"pred and true must hold the same number of trajectories; got {len(preds)} and {len(trues)}")
    for n, (p, t) in enumerate(zip(preds, trues)):
        if p.shape != t.shape:
            raise ValueError(f"trajectory {n}: pred and true must have the same shape; got {p.shape} and {t.shape}")
    if sum(p.size for p in preds) == 0:
        raise ValueError("pred and true hold no points")
    return preds, trues


def _flat_pair(pred, true) -> tuple[np.ndarray, np.ndarray]:
    """All points of pred and true, concatenated in the same order."""
    preds, trues = _paired(pred, true)
    return np.concatenate([x.ravel() for x in preds]), np.concatenate([x.ravel() for x in trues])


def _check_labels(labels: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer class indices; got dtype {labels.dtype}. "
            "Use uandi.postprocess.labels_from_proba or .astype(int)."
        )
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{name} must lie in 0 .. n_classes-1 = {n_classes - 1}; got values in [{labels.min()}, {labels.max()}]"
        )
    return labels


def mae(pred, true) -> float:
    """Mean absolute error over all points (paper Eq. 2), alpha units (dimensionless).

    pred, true: arrays of the same shape, or lists of 1D arrays (one per trajectory, lengths may vary),
    pooled point by point.
    """
    p, t = (x.astype(float) for x in _flat_pair(pred, true))
    return float(np.mean(np.abs(p - t)))


def mae_by_alpha(pred, true, bins=None) -> dict:
    """MAE as a function of the true alpha: points binned by their true alpha.

    Bins are ``[edges[k], edges[k+1])``, the last one closed on the right; points with true alpha outside
    ``[edges[0], edges[-1]]`` are left out.

    Parameters
    ----------
    pred, true : point-wise alpha, as for ``mae``.
    bins : 1D increasing array of bin edges (alpha units); default ``np.linspace(0.05, 2.0, 21)``
        (20 bins of width 0.0975 over [ALPHA_MIN, ALPHA_MAX]).

    Returns
    -------
    dict with ``edges`` (n_bins + 1,), ``centers`` (n_bins,), ``mae`` (n_bins,; NaN for empty bins) and
    ``counts`` (n_bins,; int64, points per bin).
    """
    edges = np.linspace(ALPHA_MIN, ALPHA_MAX, 21) if bins is None else np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError(f"bins must be a 1D strictly increasing array of at least 2 edges; got {bins!r}")
    p, t = (x.astype(float) for x in _flat_pair(pred, true))
    n_bins = edges.size - 1
    index = np.searchsorted(edges, t, side="right") - 1
    index[t == edges[-1]] = n_bins - 1  # last bin closed on the right
    inside = (index >= 0) & (index < n_bins)
    counts = np.bincount(index[inside], minlength=n_bins).astype(np.int64)
    sums = np.bincount(index[inside], weights=np.abs(p - t)[inside], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_bin = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return {"edges": edges, "centers": 0.5 * (edges[:-1] + edges[1:]), "mae": per_bin, "counts": counts}


def mdice(pred_labels, true_labels, n_classes: int = 5) -> float:
    """Mean Dice over trajectories as the paper defines it (Eq. 3).

    For one trajectory with one-hot labels p, t over all classes and points, Dice = 2 sum(p t) /
    (sum p + sum t) = 2 * (#correct points) / (L + L), i.e. the point accuracy. mDice is its mean over
    trajectories (each trajectory weighs the same whatever its length). See ``macro_dice`` for the
    stricter per-class score.

    pred_labels, true_labels: integer class indices, arrays (N, L) (a 1D array is one trajectory) or
    lists of 1D arrays of varying lengths.
    """
    n_classes = check_int(n_classes, f"n_classes (5 for {MODELS})")
    preds, trues = _paired(pred_labels, true_labels)
    accuracies = []
    for n, (p, t) in enumerate(zip(preds, trues)):
        if p.ndim != 1 or p.size == 0:
            raise ValueError(f"trajectory {n}: labels must be a non-empty 1D array; got shape {p.shape}")
        p = _check_labels(p, n_classes, "pred_labels")
        t = _check_labels(t, n_classes, "true_labels")
        accuracies.append(np.mean(p == t))
    return float(np.mean(accuracies))


def confusion_matrix(pred, true, n_classes: int = 5) -> np.ndarray:
    """Point counts (n_classes, n_classes), int64: rows = true class, columns = predicted class.

    pred, true: integer class indices, arrays of any shape or lists of 1D arrays, pooled over points.
    """
    n_classes = check_int(n_classes, f"n_classes (5 for {MODELS})")
    p, t = _flat_pair(pred, true)
    p = _check_labels(p, n_classes, "pred")
    t = _check_labels(t, n_classes, "true")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def dice_per_class(pred, true, n_classes: int = 5) -> np.ndarray:
    """Dice of each class over all points pooled: Dice_c = 2|P_c and T_c| / (|P_c| + |T_c|).

    P_c / T_c are the points predicted / truly of class c. Returns float (n_classes,), NaN for a class
    absent from both pred and true. Arguments as for ``confusion_matrix``.
    """
    cm = confusion_matrix(pred, true, n_classes)
    both = cm.sum(axis=0) + cm.sum(axis=1)  # |P_c| + |T_c|
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(both > 0, 2.0 * np.diag(cm) / np.maximum(both, 1), np.nan)


def macro_dice(pred, true, n_classes: int = 5) -> float:
    """Mean of ``dice_per_class`` over the classes present in pred or true."""
    return float(np.nanmean(dice_per_class(pred, true, n_classes)))


def _check_changepoints(cps, name: str) -> np.ndarray:
    arr = np.asarray(cps, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1D array of changepoints of ONE trajectory; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _check_threshold(threshold) -> float:
    threshold = float(threshold)
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(
            f"threshold (largest |dc| of a true positive, exclusive, in frames) must be > 0; got {threshold!r}"
        )
    return threshold


def match_changepoints(pred_cps, true_cps, threshold: float = 10) -> dict:
    """Match one trajectory's predicted changepoints to the true ones (AnDi-challenge rule).

    Predicted and true changepoints are paired one to one so that the total |pred - true| is minimal
    (Hungarian algorithm; with unequal numbers the surplus stays unmatched). A pair with
    |dc| < threshold is a true positive; a pair with |dc| >= threshold counts as one FP and one FN;
    unmatched predictions are FP and unmatched truths FN.

    Parameters
    ----------
    pred_cps, true_cps : 1D arrays of changepoints (frames), possibly empty; order does not matter.
    threshold : float > 0, frames.

    Returns
    -------
    dict with ``tp``, ``fp``, ``fn`` (int); ``dc`` (float array, pred - true of the TPs, in frames)
    and ``dc_all_matched`` (pred - true of every matched pair); both ordered by the true changepoint;
    ``pairs`` (int array (M, 2): the indices into pred_cps and true_cps of every matched pair, in the
    same order).
    """
    threshold = _check_threshold(threshold)
    pred = _check_changepoints(pred_cps, "pred_cps")
    true = _check_changepoints(true_cps, "true_cps")
    if pred.size and true.size:
        rows, cols = linear_sum_assignment(np.abs(pred[:, None] - true[None, :]))  # cost (n_pred, n_true)
        order = np.argsort(true[cols], kind="stable")
        pairs = np.stack([rows[order], cols[order]], axis=1)
        dc_all = pred[pairs[:, 0]] - true[pairs[:, 1]]
    else:
        pairs, dc_all = np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    hit = np.abs(dc_all) < threshold
    tp = int(hit.sum())
    return {
        "tp": tp,
        "fp": pred.size - tp,  # unmatched + matched too far
        "fn": true.size - tp,
        "dc": dc_all[hit],
        "dc_all_matched": dc_all,
        "pairs": pairs,
    }


def changepoint_scores(pred_list, true_list, threshold: float = 10) -> dict:
    """Changepoint scores summed over trajectories.

    Parameters
    ----------
    pred_list, true_list : sequences (same length N) of 1D changepoint arrays, one per trajectory.
    threshold : float > 0, frames; see ``match_changepoints``.

    Returns
    -------
    dict with ``tp``, ``fp``, ``fn`` (int totals); ``f1`` = 2TP / (2TP + FP + FN) and
    ``jsc`` = TP / (TP + FP + FN) (both 1.0 when TP + FP + FN = 0: nothing to find, nothing claimed);
    ``rmse`` = sqrt(mean dc^2) over true positives, frames (NaN without TPs); ``dc``: the signed dc
    (pred - true, frames) of all TPs, concatenated, for the histogram.
    """
    if len(pred_list) != len(true_list):
        raise ValueError(
            f"pred_list and true_list must hold one changepoint array per trajectory each; "
            f"got {len(pred_list)} and {len(true_list)}"
        )
    tp = fp = fn = 0
    dcs = [np.zeros(0)]
    for pred, true in zip(pred_list, true_list):
        match = match_changepoints(pred, true, threshold)
        tp, fp, fn = tp + match["tp"], fp + match["fp"], fn + match["fn"]
        dcs.append(match["dc"])
    dc = np.concatenate(dcs)
    total = tp + fp + fn
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "f1": 2 * tp / (2 * tp + fp + fn) if total else 1.0,
        "jsc": tp / total if total else 1.0,
        "rmse": float(np.sqrt(np.mean(dc**2))) if dc.size else float("nan"),
        "dc": dc,
    }
