"""Segment every track of a file, a table or an array: `uandi.segment`, the one path from input to tables.

    points, segments = uandi.segment("tracks.csv")            # shipped "alpha-all" and "diffusion-model" networks
    points, segments = uandi.segment(df, tasks=("alpha",), weights={"alpha": "runs/alpha"})
    points, segments = uandi.segment(positions)                # (N, L, 2) array or list of (L_i, 2) arrays
    write_outputs(points, segments, "results", "tracks")      # tracks_points.csv, tracks_segments.csv

The steps, each in its own module:

1. uandi.tracks: the input read once into the user's table and the canonical one; the plan of which
   rows form which piece (gaps, missing positions, duplicates and short pieces handled and given a
   reason, nothing dropped; see that module for the rules).
2. The networks (uandi.predict.Predictor.pointwise): all analysed pieces at once per network, in
   batches of equal length.
3. uandi.postprocess.segment_track, per piece: each network's changepoints by the rule tuned in its
   card, merged, and the per-segment values (the same function as Predictor.segment).
4. uandi.postprocess.refine_segments (alpha task, unless likelihood=False): the exact FBM likelihood
   (uandi.likelihood) gives each segment its maximum-likelihood alpha, K and localization error with
   standard errors; segments the diffusion-model network calls SBM get the exact SBM likelihood's
   alpha and K (uandi.likelihood_sbm); segments it calls ATTM, CTRW or LW, or FBM or SBM with a
   probability under 0.85, keep the alpha network's value (column ``alpha_method`` says which), with
   an error bar measured on simulated segments (uandi.alpha_error) when both shipped networks run. With
   the alpha task alone (FBM assumed, the paper's subtask 1, and the FBM network "alpha" by default)
   the likelihood also chooses the changepoints among the alpha network's candidates.
5. uandi.results: the points and segments tables (and write_outputs: files and figures).

Units: positions in the input's units (pixels or µm; the networks are scale-free), time in frames,
alpha dimensionless (MSD ~ t^alpha), segment and piece lengths in points.

Segmentation of one piece (SCIENCE.md section 5):

- alpha task: changepoints from the point-wise alpha by the rule in the alpha network's weight card
  (:func:`uandi.postprocess.segments_from_alpha_contrast`), or by the paper's Appendix algorithm
  (:func:`uandi.postprocess.segments_from_alpha` with ``eps`` and ``min_gap``) when ``eps`` is given;
- model task: changepoints by the rule in the diffusion-model network's card: peaks of the contrast
  between the class probabilities of the windows before and after each point
  (:func:`uandi.postprocess.segments_from_proba_contrast`), or where the point-wise class (argmax)
  changes, after runs shorter than ``min_gap`` points are absorbed by their neighbours
  (:func:`uandi.postprocess.segments_from_labels`);
- both tasks: all alpha changepoints are kept, and a model changepoint is added only where it lies at
  least ``min_gap`` points from every kept changepoint (:func:`uandi.postprocess.combine_changepoints`:
  a change seen by both networks counts once, where the alpha network put it). Every segment has at
  least ``min_gap`` points.

Output columns: a DataFrame comes back with its own columns and index; a file comes back under the
file's own column names and order (trackpy's ``particle``, saspt's ``trajectory, frame, y, x``), then
``row`` (the row's index in the file), a ``frame`` numbered 0..n-1 if the file had none, and the added
columns; positions come back as a table ``track_id`` (index in the input), ``frame``, ``x``, ``y``.
Per segment: ``alpha`` = mean of the point-wise alpha, ``model`` = the class with the largest mean
probability over the segment, ``probability`` = that mean probability (uandi.postprocess.segment_statistics).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .alpha_error import network_alpha_error_table
from .checks import check_int, check_units
from .constants import MIN_TRACK_LENGTH
from .drift import (
    MIN_DRIFT_TRACKS,
    WANDERING_ADVICE,
    change_words,
    drift_notice,
    estimate_drift,
    flow_words,
    remove_drift,
)
from .immobile import immobile_reason
from .notices import notify
from .postprocess import (
    alpha_postprocess_settings,
    assumes_fbm,
    classify_segments,
    model_postprocess_settings,
    refine_segments,
    segment_track,
)
from .results import points_table, segments_table, write_outputs
from .tracks import plan_pieces, read_input
from .weights import default_network

__all__ = ["TASKS", "segment", "write_outputs"]

TASKS = ("alpha", "model")  # what the networks predict at every point: the exponent, the diffusion model


def _check_tasks(tasks) -> tuple:
    if isinstance(tasks, str):
        tasks = (tasks,)
    tasks = tuple(tasks)
    if not tasks or len(set(tasks)) != len(tasks) or not set(tasks) <= set(TASKS):
        raise ValueError(f"tasks must be a non-empty selection of {TASKS} without repeats; got {tasks!r}")
    return tuple(t for t in TASKS if t in tasks)  # fixed order: alpha first


def _resolve_predictors(tasks, weights, device) -> dict:
    """task -> a loaded network: the given Predictor, name or path, else the shipped default."""
    weights = dict(weights or {})
    unknown = set(weights) - set(TASKS)
    if unknown:
        raise ValueError(f"weights= has unknown task(s) {sorted(unknown)}; its keys are tasks {TASKS}")
    predictors = {}
    for task in tasks:
        spec = weights.get(task) or default_network(task, tasks)
        if isinstance(spec, (str, os.PathLike)):
            from .predict import load

            spec = load(spec, device=device)
        if getattr(spec, "task", None) != task:
            raise ValueError(
                f"weights[{task!r}] must be a {task} network (a name, a path or a loaded Predictor); "
                f"got one for task {getattr(spec, 'task', None)!r}"
            )
        predictors[task] = spec
    return predictors


class _Progress:
    """Adapts progress= (None, callable(n_done, n_total) or a tqdm-like object with update())."""

    def __init__(self, progress, total: int):
        if progress is not None and not hasattr(progress, "update") and not callable(progress):
            raise TypeError("progress must be a callable(n_done, n_total) or an object with update(n) (tqdm)")
        self.progress, self.total, self.done = progress, total, 0
        if hasattr(progress, "update") and getattr(progress, "total", 0) is None:
            progress.total = total

    def advance(self, n: int) -> None:
        self.done += n
        if self.progress is None:
            return
        if hasattr(self.progress, "update"):
            self.progress.update(n)
        else:
            self.progress(self.done, self.total)


def segment(
    tracks,
    *,
    tasks=TASKS,
    weights: Mapping | None = None,
    min_length: int = MIN_TRACK_LENGTH,
    columns: Mapping | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    eps: float | None = None,
    min_gap: int = 10,
    localization_error: float | None = None,
    likelihood: bool = True,
    pixel_size: float | None = None,
    frame_interval: float | None = None,
    exposure: float = 0.0,
    drift: str | None = None,
    classifier=None,
    device: str = "auto",
    batch_size: int = 256,
    progress=None,
    workers: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Point-wise alpha and diffusion model, and segments, for every track of a file, table or array.

    How odd rows (unsorted, duplicate frames, missing positions, gaps, short tracks) are handled is
    described in uandi.tracks, how segments are made in this module's docstring, and the two tables
    in uandi.results.

    Parameters
    ----------
    tracks : a track file (any format of :func:`uandi.io.read_tracks`); a DataFrame with track id,
        x, y and optionally frame columns (names as for the readers: ``track_id``, ``particle``,
        ``frame``, ``t``, ``x``, ``y``, ...; without a frame column the points are numbered 0..n-1
        in row order within each track); or positions, an (N, L, 2) array or a list of (L_i, 2)
        arrays (track i, frames 0..L_i-1; NaN positions split a track as in a table). Positions in
        any unit, time in frames.
    tasks : ``("alpha", "model")`` or one of them.
    weights : task -> shipped network name, weights file, training-run folder or loaded Predictor;
        default the shipped networks (uandi.weights.default_network): "alpha-all" and "diffusion-model"
        for both tasks, "alpha" (FBM, the paper's subtask 1) for the alpha task alone.
    min_length : shortest piece analysed, in points (>= 20, the networks' minimum).
    columns : canonical name -> column name in the file or DataFrame (see read_tracks).
    format : file format for a path (see read_tracks); None picks it from the extension.
    delimiter : field separator of a delimited file (see read_tracks); None guesses it.
    eps : threshold on |alpha_(i+1) - alpha_i| of the paper's Appendix algorithm. None (default): the
        post-processing tuned for the alpha network and stored in its card (``postprocess``: the
        Appendix rule with its eps, or the window-contrast rule), else the Appendix rule with eps 0.028.
    min_gap : shortest segment, in points (paper: 10): the alpha algorithm's plateau, the shortest
        run of one predicted class, and the closest two changepoints may be.
    localization_error : standard deviation of the localization error per axis, in the positions'
        unit, if known. With it, the likelihood takes it as known in every segment and fits alpha and K
        only (without it, one localization error per track is searched over its segments, and a
        searched noise trades off against alpha: knowing it cuts alpha's error by a third to a half at a
        noise of 0.3-0.6 of the step, docs/likelihood.md part J); a segment whose data reject the value
        gets its own. Pieces that a particle at rest explains are not given to the
        networks (they would invent an alpha and a class) but get the reason "immobile (...)": with this error
        known, pieces whose spread it explains; without it, pieces whose MSD does not grow with the
        lag; always, pieces with no step at all (uandi.immobile).
    likelihood : alpha task: per-segment alpha, K and localization error from the exact FBM
        likelihood (uandi.postprocess.refine_segments) for the segments known to be FBM: those the
        diffusion-model network calls FBM, or, with the alpha task alone and an alpha network trained
        on FBM only ("alpha-fbm"), every segment, the likelihood then also choosing the changepoints.
        False: the networks alone.
    pixel_size : micrometres per input unit (trackpy's mpp), for K and the localization error in um.
    frame_interval : seconds per frame (1 / trackpy's fps), for K in um^2 / s^alpha. Without these,
        K is in input units^2 / frame^alpha (the ``units`` column says which).
    exposure : camera exposure as a fraction of the frame interval (0 to 1), for the likelihood's
        motion-blur model; 0 = instantaneous frames.
    drift : None (default): positions as given; when every track moves on average the same way, by
        enough to bias alpha (uandi.drift), a notice says so. "constant": a drift of constant velocity,
        measured on all moving tracks (at least 10; frames as numbered; each track weighted by its
        steps over their variance, so that particles stuck to the stage count most), is taken out of the positions
        that the networks and the likelihood see (the points table keeps the input's positions; the
        segments table gets the velocity as ``drift_x``, ``drift_y``, input units per frame); refused
        when the slowest tracks do not share it (a flow, uandi.drift). ``segments.attrs["drift"]``
        holds the velocity, its standard error and the checks either way.
    classifier : None, or a trajectory classifier (a shipped name such as "trajectory-model", a
        weights file or run folder, or a loaded Predictor) that labels each segment as a whole
        (uandi.postprocess.classify_segments): the segments table gets ``classifier_model``,
        ``classifier_probability`` and ``classifier_p_<class>`` columns (paper Sec. V, Fig. 9).
    device : "auto", "cpu" or "cuda", for the networks loaded here.
    batch_size : pieces per network call.
    progress : None, a callable ``progress(n_done, n_total)`` or a tqdm-like object (``update(n)``);
        counts points predicted, once per task. The library never prints.
    workers : processes for the likelihood stage (uandi.workers): None (default) = the CPUs available
        (at most 4), 1 = this process only. Used on Linux, and only for inputs of at least 500,000
        points; the answers do not depend on it (up to float32 rounding).

    Returns
    -------
    points : the input table, every row exactly once and in the input order, all its columns
        unchanged (a DataFrame keeps its index; a ``row`` column 0..n-1 is added if absent; an input
        column whose name segment() needs, e.g. ``alpha``, is kept renamed to ``alpha_input``),
        plus: ``piece`` (Int64, piece id within the track, <NA> for rows in no piece), ``alpha``
        (point-wise alpha, alpha task), ``model`` (point-wise class name, model task) and
        ``p_attm`` ... ``p_sbm`` (class probabilities, one per class of the network), ``segment``
        (Int64 segment id within the piece), ``segment_alpha`` (the segment's mean alpha, alpha
        task) and ``reason`` ("" when analysed). Rows not analysed have NaN/None/<NA> predictions.
    segments : one row per segment: ``track_id, piece, segment, first_frame, last_frame, length,
        first_row`` (the ``row`` value of the segment's first point), ``alpha`` (alpha task),
        ``model, probability`` (model task), ``reason``. A piece too short to analyse is one row
        with <NA> segment, NaN predictions and its reason; a track with no usable point at all is
        one row with <NA> piece and the reason (its rows' reasons, joined). Sorted by track_id,
        piece, segment.
    """
    # every argument checked here, once, before anything is read or loaded
    tasks = _check_tasks(tasks)
    if check_int(min_length, "min_length") < MIN_TRACK_LENGTH:
        raise ValueError(f"min_length must be at least {MIN_TRACK_LENGTH} points, the networks' minimum; "
                         f"got {min_length}")
    min_gap = check_int(min_gap, "min_gap")
    batch_size = check_int(batch_size, "batch_size")
    if workers is not None:
        check_int(workers, "workers")
    if eps is not None and (not np.isfinite(eps) or eps < 0):
        raise ValueError(f"eps must be a finite number >= 0; got {eps!r}")
    if localization_error is not None and not (np.isfinite(localization_error) and localization_error > 0):
        raise ValueError(f"localization_error must be a finite number > 0 (per axis, in the positions' unit); "
                         f"got {localization_error!r}")
    check_units(pixel_size, frame_interval)
    if not (np.isfinite(exposure) and 0.0 <= exposure <= 1.0):
        raise ValueError(f"exposure must lie in [0, 1] (a fraction of the frame interval); got {exposure!r}")
    if drift not in (None, "constant"):
        raise ValueError(f"drift must be None (positions as given) or 'constant' (remove one drift velocity "
                         f"shared by all tracks); got {drift!r}")

    source = read_input(tracks, columns, format, delimiter)
    predictors = _resolve_predictors(tasks, weights, device)
    judge = _resolve_classifier(classifier, device)
    appendix = {"method": "appendix", "eps": float(eps)} if eps is not None else {}
    alpha_rule = alpha_postprocess_settings(predictors.get("alpha"), **appendix, min_gap=min_gap)
    model_rule = model_postprocess_settings(predictors.get("model"), min_gap=min_gap)
    classes = tuple(predictors["model"].classes) if "model" in predictors else ()

    pieces = plan_pieces(source.canonical, min_length)
    at_rest = _set_aside_immobile(pieces, localization_error)
    pieces, shared_drift = _handle_drift(pieces, at_rest, source.canonical["frame"].to_numpy(), drift,
                                         localization_error)
    analysed = np.flatnonzero(pieces.analysed)
    positions = [pieces.positions(p) for p in analysed]  # (L_k, 2) each, frame order
    meter = _Progress(progress, sum(len(x) for x in positions) * len(predictors))
    outputs = {task: [] for task in predictors}  # per piece: alpha (L_k,) or class probabilities (L_k, C)
    for task, predictor in predictors.items():
        if positions:  # no network call when no piece is long enough
            values = predictor.pointwise(positions, batch_size, progress=meter.advance, check_input=False)
            outputs[task] = [np.asarray(v, dtype=np.float64) for v in values]
    segments = [segment_track(x, alpha=outputs["alpha"][k] if "alpha" in outputs else None,
                              proba=outputs["model"][k] if "model" in outputs else None,
                              alpha_rule=alpha_rule, model_rule=model_rule, min_gap=min_gap, classes=classes)
                for k, x in enumerate(positions)]
    # the FBM likelihood needs to know which segments are FBM: the diffusion-model network says so, or
    # the alpha network was trained on FBM alone (the paper's subtask 1)
    refine = likelihood and "alpha" in tasks and ("model" in outputs or assumes_fbm(predictors["alpha"]))
    if refine:
        # the FBM likelihood picks changepoints only when FBM is assumed (alpha task alone); with the
        # diffusion-model network it would split ATTM/CTRW/LW segments at their own heterogeneity
        segments = refine_segments(positions, segments, alpha=outputs["alpha"], proba=outputs.get("model"),
                                   changepoints="model" not in outputs, model_rule=model_rule, classes=classes, pixel_size=pixel_size,
                                   frame_interval=frame_interval,
                                   # a localization error given is taken as known (fixed in every segment)
                                   settings={"exposure": float(exposure),
                                             **({"noise": float(localization_error)} if localization_error else {}),
                                             "alpha_error": _alpha_error_table(predictors, exposure)},
                                   workers=workers)
    if judge is not None:
        segments = classify_segments(positions, segments, lambda parts: judge.predict_proba(parts, batch_size),
                                     judge.classes)
    judged_by = tuple(judge.classes) if judge is not None else ()
    table = segments_table(source, pieces, analysed, segments, tasks, classifier_classes=judged_by, likelihood=refine)
    table.attrs["drift"] = {"velocity": shared_drift.velocity.tolist(), "se": shared_drift.se.tolist(),
                            "n_tracks": shared_drift.n_tracks, "track_z": shared_drift.track_z,
                            "flow_like": shared_drift.flow_like, "changes": shared_drift.changes,
                            "removed": drift == "constant"}
    if drift == "constant":  # the velocity taken out, weighted for a stage drift; said in the written table too
        table.attrs["drift"].update(removed_velocity=shared_drift.stage_velocity.tolist(),
                                    removed_se=shared_drift.stage_se.tolist())
        table["drift_x"], table["drift_y"] = shared_drift.stage_velocity
    return points_table(source, pieces, analysed, outputs, segments, tasks, classes), table


def _alpha_error_table(predictors: dict, exposure: float) -> dict | None:
    """uandi.alpha_error's table when it was measured for these networks (both tasks; no motion blur
    declared: the calibration tracks had none), else None (the network's alpha then has no error bar)."""
    if "model" not in predictors or exposure:
        return None
    cards = (getattr(predictors[task], "card", None) for task in ("alpha", "model"))  # a Predictor-like may lack one
    return network_alpha_error_table(*cards)


def _handle_drift(pieces, at_rest: np.ndarray, frame: np.ndarray, drift: str | None, localization_error):
    """The drift shared by the moving pieces (uandi.drift), taken out of every piece's positions when
    drift="constant", else a notice when it is large enough to bias alpha. Returns the pieces (new
    positions or the same) and the estimate. at_rest: (pieces,) bool, those set aside as immobile.

    Pieces already set aside as immobile do not enter the velocity (particles stuck to the glass stay
    put when the liquid flows, and moving pieces then carry the flow), but they do enter the check
    for a flow (uandi.drift.Drift.flow_like). With drift="constant" the moving
    pieces are tested for rest again once the drift is out: particles stuck to a drifting stage move
    with it, and are at rest only in the corrected frame. A piece at rest in either frame is immobile.
    """
    long = pieces.analysed | at_rest  # (pieces,) long enough to analyse: moving or at rest
    lengths = pieces.length[long]
    rows = pieces.rows[np.repeat(long, pieces.length)]  # rows of those pieces, piece after piece
    estimate = estimate_drift(pieces.xy[rows], np.cumsum(lengths) - lengths, lengths, moving=pieces.analysed[long],
                              frame=frame[rows])
    if drift != "constant":
        if estimate.notable:
            notify(drift_notice(estimate))
        return pieces, estimate
    if estimate.n_tracks < MIN_DRIFT_TRACKS:
        raise ValueError(f"drift='constant' needs at least {MIN_DRIFT_TRACKS} moving tracks of at least min_length "
                         f"points to tell a shared drift from each particle's own motion; got {estimate.n_tracks}. "
                         "Remove the drift before uandi (e.g. trackpy.subtract_drift) or leave drift out")
    if estimate.flow_like:
        raise ValueError(f"drift='constant' would take the tracks' shared velocity {estimate.describe()} out of "
                         f"every track. {flow_words(estimate)}. Removing it would give the slow ones a directed "
                         "motion they do not have: leave drift out, or remove the flow from the moving particles "
                         "before uandi")
    if estimate.changes:
        notify(f"drift='constant' removed the tracks' mean velocity {estimate.describe()}, but {change_words(estimate)}: "
               + WANDERING_ADVICE)
    corrected = dataclasses.replace(pieces, xy=remove_drift(pieces.xy, frame, estimate.stage_velocity))
    _set_aside_immobile(corrected, localization_error, note=" after the drift was removed")
    return corrected, estimate


def _resolve_classifier(classifier, device):
    """The trajectory classifier that labels each segment (a name, path or Predictor), or None."""
    if classifier is None:
        return None
    if isinstance(classifier, (str, os.PathLike)):
        from .predict import load

        classifier = load(classifier, device=device)
    if not getattr(classifier, "trajectory_level", False):
        raise ValueError("classifier= must be a trajectory classifier (one label per whole track, e.g. the "
                         "shipped 'trajectory-model'); a point-wise network goes into weights=")
    return classifier


def _set_aside_immobile(pieces, localization_error, note: str = "") -> np.ndarray:
    """Pieces long enough to analyse but explained by a particle at rest (uandi.immobile) leave the
    analysis: their rows get the immobile reason (with `note` added) and no network output, like a
    too-short piece. Returns (pieces,) bool, the pieces set aside here."""
    at_rest = np.zeros(len(pieces.analysed), bool)
    for p in np.flatnonzero(pieces.analysed):
        reason = immobile_reason(pieces.positions(p), localization_error)
        if reason:
            at_rest[p] = True
            pieces.analysed[p] = False
            pieces.reason[pieces.rows_of(p)] = reason + note
    return at_rest
