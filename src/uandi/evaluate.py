"""Score a network on a labelled dataset: every metric of the paper, as a dict, a JSON file and figures.

Alpha task: MAE, MAE binned by true alpha, changepoints through the network's post-processing (its
card's setting, else the paper's Appendix rule; F1, JSC, RMSE, dc histogram). Model task: the paper's
mDice (mean per-trajectory point accuracy), macro per-class Dice, confusion matrix, changepoints through
the card's setting (else wherever the predicted class changes, runs shorter than 10 points merged first).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import metrics
from .postprocess import (
    LABEL_SETTINGS,
    PAPER_SETTINGS,
    alpha_postprocess_settings,
    model_postprocess_settings,
    segments_from_alpha_by,
    segments_from_labels,
    segments_from_proba_by,
)


def score(task: str, pred: np.ndarray, alpha: np.ndarray, model: np.ndarray, true_cps: list, *,
          classes=None, alpha_settings: dict | None = None, proba: np.ndarray | None = None,
          model_settings: dict | None = None) -> dict:
    """All metrics of one task. pred: (N, L) alpha or class indices; alpha, model: true (N, L).
    alpha_settings: how alpha(t) is cut into segments (default: the paper's Appendix rule, eps 0.028).
    proba: (N, L, n_classes) class probabilities, needed when model_settings use them ("contrast");
    model_settings default: a changepoint at every class change, runs under 10 points absorbed."""
    out: dict = {"n_trajectories": int(pred.shape[0]), "length": int(pred.shape[1])}
    if task == "alpha":
        alpha_settings = dict(alpha_settings or PAPER_SETTINGS)
        out["postprocess"] = alpha_settings
        out["mae"] = metrics.mae(pred, alpha)
        binned = metrics.mae_by_alpha(pred, alpha)
        out["mae_by_alpha"] = {k: np.asarray(v).tolist() for k, v in binned.items()}
        pred_cps = [segments_from_alpha_by(p, alpha_settings)[0] for p in pred]
    else:
        from .constants import MODELS, class_indices

        classes = tuple(classes or MODELS)
        true = class_indices(model, classes)
        k = len(classes)
        out["classes"] = list(classes)
        out["mdice"] = metrics.mdice(pred, true, n_classes=k)
        per_class = metrics.dice_per_class(pred, true, n_classes=k)
        out["dice_per_class"] = dict(zip(classes, np.asarray(per_class).tolist()))
        out["macro_dice"] = metrics.macro_dice(pred, true, n_classes=k)
        cm = metrics.confusion_matrix(pred, true, n_classes=k)
        out["confusion"] = cm.tolist()
        out["accuracy_per_class"] = dict(zip(classes, (np.diag(cm) / np.maximum(cm.sum(1), 1)).tolist()))
        model_settings = dict(model_settings or LABEL_SETTINGS)
        out["postprocess"] = model_settings
        if model_settings["method"] == "labels":
            pred_cps = [segments_from_labels(p, min_length=model_settings["min_gap"])[0] for p in pred]
        elif proba is None:
            raise ValueError(f"model_settings {model_settings} segment the class probabilities: pass proba")
        else:
            pred_cps = [segments_from_proba_by(p, model_settings)[0] for p in proba]
    cp = metrics.changepoint_scores(pred_cps, true_cps)
    out["changepoints"] = {k: (float(v) if np.isscalar(v) else np.asarray(v).tolist()) for k, v in cp.items()}
    out["_pred_changepoints"] = pred_cps
    return out


def evaluate(predictor, data, out=None, *, n_examples: int = 6, max_n: int | None = None, batch_size: int = 256,
             seed: int = 0) -> dict:
    """Predict on a dataset (a DiskDataset or SimDataset), score, and (with `out`) write metrics.json and
    figures: examples.png, alpha_hist2d.png / confusion.png, dc_histogram.png, mae_by_alpha.png."""
    if hasattr(data, "arrays"):  # DiskDataset
        stop = len(data) if max_n is None else min(max_n, len(data))
        x, alpha, model = (data.arrays(k, 0, stop) for k in ("x", "alpha", "model"))
        cps = data.changepoint_list(0, stop)
    else:
        stop = len(data) if max_n is None else min(max_n, len(data))
        x, alpha, model, cps = data.x[:stop], data.alpha[:stop], data.model[:stop], data.changepoints[:stop]
    task = predictor.task
    proba = predictor.predict_proba(x, batch_size) if task == "model" else None
    pred = proba.argmax(-1) if task == "model" else predictor.predict(x, batch_size)
    result = score(task, pred, alpha, model, cps, classes=predictor.classes, proba=proba,
                   alpha_settings=alpha_postprocess_settings(predictor),
                   model_settings=model_postprocess_settings(predictor))
    result.pop("_pred_changepoints")
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(result, indent=2))
        _figures(task, out, x, alpha, model, cps, pred, proba, result, predictor.classes, n_examples, seed)
    return result


def _figures(task, out, x, alpha, model, cps, pred, proba, result, classes, n_examples, seed):
    from . import plot

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(x), size=min(n_examples, len(x)), replace=False)
    examples = []
    for i in picks:
        ex = {"positions": x[i], "changepoints": cps[i], "title": f"trajectory {i}"}
        if task == "alpha":
            ex.update(alpha_pred=pred[i], alpha_true=alpha[i])
        else:
            from .constants import class_indices

            ex.update(proba=proba[i], labels_true=class_indices(model[i], classes), classes=classes)
        examples.append(ex)
    plot.examples_figure(examples, path=out / "examples.png")
    cp = result["changepoints"]
    plot.dc_histogram(np.asarray(cp["dc"]), cp["tp"], cp["fp"], cp["fn"], path=out / "dc_histogram.png")
    if task == "alpha":
        plot.alpha_hist2d(alpha.ravel(), pred.ravel(), path=out / "alpha_hist2d.png")
        b = result["mae_by_alpha"]
        plot.mae_by_alpha_figure(np.asarray(b["centers"]), np.asarray(b["mae"]), np.asarray(b["counts"]),
                                 path=out / "mae_by_alpha.png")
    else:
        plot.confusion_figure(np.asarray(result["confusion"]), classes=classes, path=out / "confusion.png")
