"""One folder of the paper's figures and one HTML page with their numbers, from a network and a dataset.

    uandi report --weights runs/model --data data/model500 --out report-model
    write_report("alpha", "data/alpha500", "report-alpha")        # the same from Python

What it holds (paper figure types in brackets):

- ``metrics.json``: every score of ``uandi.evaluate`` (MAE or mDice, macro Dice, confusion matrix,
  changepoint TP/FP/FN, F1, JSC, RMSE);
- ``examples.png``: trajectories coloured by their true segments, with alpha(t) or the class
  probabilities against time, prediction beside truth (Figs. 4, 5e, 6);
- ``alpha_hist2d.png``, ``mae_by_alpha.png`` (alpha networks: Figs. 5c, 5d) or ``confusion.png``
  (diffusion-model networks: Fig. 7c);
- ``dc_histogram.png``: changepoint position errors of the true positives (Figs. 5f, 7d);
- ``curves.png``: the training curves (Fig. 3), when the training log is known (a run folder);
- ``index.html``: all of them with their numbers as tables; images are referenced by file name, so
  the folder can be moved or zipped as it is.

A trajectory-level network (the WADNet classifier) is scored per trajectory instead: accuracy and
confusion matrix (``confusion.png``); its dataset must hold single-model trajectories
(``uandi simulate --task model --n-segments 1``).

Units: alpha dimensionless, changepoint errors in frames, lengths in points.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

__all__ = ["write_report"]

_CAPTIONS = {
    "examples.png": "Example trajectories coloured by their true segments; alpha or class probabilities "
                    "against time (prediction blue, truth orange, true changepoints dashed).",
    "alpha_hist2d.png": "Predicted against true alpha over all points.",
    "mae_by_alpha.png": "MAE as a function of the true alpha.",
    "confusion.png": "Confusion matrix (rows: true class, normalised per row).",
    "dc_histogram.png": "Changepoint position errors dc of the true positives (|dc| < 10 frames).",
    "curves.png": "Training curves: loss and validation metric against trajectories seen.",
}


def _training_log(run) -> list:
    """The records of a run folder's metrics.jsonl, or [] when there is none."""
    if run is None:
        return []
    log_file = Path(run) / "metrics.jsonl"
    if not log_file.is_file():
        return []
    return [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]


def _run_folder(weights):
    """The training run folder the weights file sits in (its metrics.jsonl draws the curves), or None
    (a shipped network, or a file exported out of its run)."""
    from .weights import resolve

    folder = resolve(weights).parent
    return folder if (folder / "metrics.jsonl").is_file() else None


def _score_trajectories(predictor, data, max_n, batch_size) -> dict:
    """Accuracy and confusion matrix of a trajectory-level classifier on single-model trajectories."""
    from . import metrics
    from .constants import class_indices

    stop = len(data) if max_n is None else min(max_n, len(data))
    x, model = data.arrays("x", 0, stop), data.arrays("model", 0, stop)  # (N, L, 2), (N, L)
    if np.any(model != model[:, :1]):
        raise ValueError("a trajectory classifier is scored on single-model trajectories; this dataset has "
                         "several models per trajectory (simulate one with --n-segments 1)")
    classes = tuple(predictor.classes)
    true = class_indices(model[:, 0], classes)  # (N,), -1 where the model is not among the classes
    proba = predictor.predict_proba(x, batch_size)  # (N, C)
    pred = proba.argmax(axis=1)
    kept = true >= 0
    cm = metrics.confusion_matrix(pred[kept], true[kept], n_classes=len(classes))
    return {"n_trajectories": int(kept.sum()), "length": int(x.shape[1]), "classes": list(classes),
            "accuracy": float(np.mean(pred[kept] == true[kept])), "confusion": cm.tolist(),
            "accuracy_per_class": dict(zip(classes, (np.diag(cm) / np.maximum(cm.sum(1), 1)).tolist()))}


def write_report(weights, data, out, *, run=None, max_n: int | None = None, n_examples: int = 6,
                 batch_size: int = 256, device: str = "auto", seed: int = 0) -> Path:
    """Evaluate `weights` on `data` and write the figures, metrics.json and index.html into `out`.

    weights : a shipped network's name, a .safetensors file, a training run folder, or a loaded
        Predictor. data : a dataset folder (``uandi simulate``) or an opened DiskDataset, labelled
        for the network's task. out : the report folder (created). run : the training run folder
        whose metrics.jsonl gives the curves; default the folder of `weights` when it holds one.
    max_n : score only the first max_n trajectories. n_examples : example tracks drawn.
    Returns the path of index.html.
    """
    from .data.files import read_dataset
    from .evaluate import evaluate

    out = Path(out)
    if isinstance(data, (str, Path)):
        data = read_dataset(data)
    predictor = weights
    if not hasattr(weights, "predict"):
        from .predict import load

        predictor = load(weights, device=device)
        run = run if run is not None else _run_folder(weights)
    if data.task != predictor.task:
        raise ValueError(f"the dataset is for task {data.task!r} but the network predicts {predictor.task!r}")
    out.mkdir(parents=True, exist_ok=True)
    if predictor.trajectory_level:
        from . import plot

        result = _score_trajectories(predictor, data, max_n, batch_size)
        (out / "metrics.json").write_text(json.dumps(result, indent=2))
        plot.confusion_figure(np.asarray(result["confusion"]), classes=predictor.classes, path=out / "confusion.png")
    else:
        result = evaluate(predictor, data, out, n_examples=n_examples, max_n=max_n, batch_size=batch_size, seed=seed)
    log = _training_log(run)
    if log:
        from .train import plot_curves

        plot_curves(log, predictor.task, out / "curves.png")
    page = out / "index.html"
    page.write_text(_page(predictor, data, result, log, out))
    return page


# ------------------------------------------------------------------------------------------- the page


def _fmt(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return "nan" if not np.isfinite(value) else f"{float(value):.4f}"
    return html.escape(str(value))


def _table(header: list, rows: list, name: str) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="numbers" id="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figure(out: Path, name: str) -> str:
    if not (out / name).is_file():
        return ""
    return (f'<figure><img src="{html.escape(name)}" alt="{html.escape(_CAPTIONS[name])}">'
            f"<figcaption>{html.escape(_CAPTIONS[name])}</figcaption></figure>")


def _network_rows(predictor) -> list:
    cfg, card = predictor.config, predictor.card
    rows = [("architecture", cfg.arch), ("task", cfg.task), ("width", cfg.width),
            ("parameters", sum(p.numel() for p in predictor.net.parameters())),
            ("input", cfg.representation)]
    if cfg.task == "model":
        rows.append(("classes", ", ".join(cfg.classes)))
    training = card.get("training", {})
    for key in ("trajectory_passes", "trajectories", "hours", "step", "best_step"):
        if key in training:
            rows.append((f"training {key.replace('_', ' ')}", training[key]))
    if "sha256" in card:
        rows.append(("sha256", card["sha256"][:16] + "..."))
    return rows


def _page(predictor, data, result: dict, log: list, out: Path) -> str:
    task = predictor.task
    parts = [f"<h1>uandi report: {'alpha' if task == 'alpha' else 'diffusion model'} network</h1>",
             "<h2>Network and data</h2>",
             _table(["", "value"], _network_rows(predictor), "network"),
             _table(["", "value"], [("dataset", str(getattr(data, "path", ""))), ("task", data.task),
                                    ("trajectories scored", result["n_trajectories"]), ("length (points)",
                                                                                       result["length"])],
                    "dataset")]
    if predictor.trajectory_level:
        parts += ["<h2>Whole-trajectory classification</h2>",
                  _table(["metric", "value"], [("accuracy", result["accuracy"])], "summary"),
                  _table(["class", "accuracy"], list(result["accuracy_per_class"].items()), "per_class"),
                  _table(["true \\ predicted", *result["classes"]],
                         [(c, *row) for c, row in zip(result["classes"], result["confusion"])], "confusion"),
                  _figure(out, "confusion.png")]
    else:
        cp = result["changepoints"]
        summary = ([("MAE of alpha", result["mae"])] if task == "alpha" else
                   [("mDice (mean point accuracy)", result["mdice"]), ("macro Dice", result["macro_dice"])])
        summary += [("changepoint F1", cp["f1"]), ("changepoint JSC", cp["jsc"]),
                    ("changepoint RMSE (frames)", cp["rmse"]), ("true positives", int(cp["tp"])),
                    ("false positives", int(cp["fp"])), ("false negatives", int(cp["fn"]))]
        parts += ["<h2>Scores</h2>", _table(["metric", "value"], summary, "summary"),
                  "<p>Post-processing: " + html.escape(json.dumps(result["postprocess"])) + "</p>",
                  "<h2>Examples</h2>", _figure(out, "examples.png")]
        if task == "alpha":
            b = result["mae_by_alpha"]
            rows = [(c, m, n) for c, m, n in zip(b["centers"], b["mae"], b["counts"])]
            parts += ["<h2>Alpha</h2>", _figure(out, "alpha_hist2d.png"), _figure(out, "mae_by_alpha.png"),
                      _table(["true alpha (bin centre)", "MAE", "points"], rows, "mae_by_alpha")]
        else:
            classes = result["classes"]
            parts += ["<h2>Classes</h2>", _figure(out, "confusion.png"),
                      _table(["class", "Dice", "accuracy"],
                             [(c, result["dice_per_class"][c], result["accuracy_per_class"][c]) for c in classes],
                             "per_class"),
                      _table(["true \\ predicted", *classes],
                             [(c, *row) for c, row in zip(classes, result["confusion"])], "confusion")]
        dc = np.asarray(cp["dc"], dtype=float)
        dc_rows = [("mean dc (frames)", float(dc.mean()) if dc.size else float("nan")),
                   ("median |dc| (frames)", float(np.median(np.abs(dc))) if dc.size else float("nan"))]
        parts += ["<h2>Changepoints</h2>", _figure(out, "dc_histogram.png"),
                  _table(["", "value"], dc_rows, "changepoint_errors")]
    parts.append("<h2>Training</h2>")
    if log:
        metric = "validation MAE" if task == "alpha" else "validation mDice"
        rows = [(r["step"], r["trajectories"], r["seconds"], r["train_loss"], r["val_loss"], r["val_metric"])
                for r in log]
        parts += [_figure(out, "curves.png"),
                  _table(["step", "trajectories seen", "seconds", "training loss", "validation loss", metric],
                         rows, "training")]
    else:
        parts.append("<p>No training log given (pass the run folder as --run to draw the curves).</p>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table.numbers{border-collapse:collapse;margin:1em 0}"
             "table.numbers td,table.numbers th{border:1px solid #bbb;padding:2px 8px;text-align:right}"
             "img{max-width:100%}figcaption{color:#555;font-size:90%}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>uandi report</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(p for p in parts if p) + "\n</body></html>\n")
