"""Inference: weights file -> Predictor -> point-wise alpha or class probabilities, any track length.

    net = uandi.load("alpha")                  # shipped network, or a .safetensors file / run folder
    alpha = net.predict(x)                     # x: (N, L, 2) positions or a list of (L_i, 2) arrays
    net = uandi.load("diffusion-model")
    proba = net.predict_proba(x)               # (N, L, 5), classes in net.classes (uandi.MODELS order)
    segments = net.segment(x)                  # per track: changepoints, per-segment model and probability
    segments = net.segment(x, threshold=0.5)   # a setting of the tuned post-processing overridden
    net = uandi.load("trajectory-model")       # WADNet classifier: one label per whole trajectory
    proba = net.predict_proba(x)               # (N, 5): class probabilities of each trajectory

Weight files, their cards and the shipped networks' names are `uandi.weights`' business; this module
only turns a resolved file into a network on a device. It never imports the training code.
"""

from __future__ import annotations

import numpy as np
import torch

from .checks import check_int, check_units
from .constants import ALPHA_MAX, ALPHA_MIN, MIN_SEGMENT, MIN_TRACK_LENGTH
from .data.normalize import network_input
from .nn.device import resolve_device
from .nn.registry import ModelConfig, build_model
from .postprocess import (
    Segments,
    alpha_postprocess_settings,
    model_postprocess_settings,
    assumes_fbm,
    refine_segments,
    segment_track,
)
from .tracks import as_tracks
from .weights import read_weights, resolve


def length_batches(lengths, batch_size: int) -> list[np.ndarray]:
    """Indices of tracks in batches of equal length: tracks sorted by length (stable), cut into chunks
    of `batch_size`, each chunk split where the length changes.

    Equal lengths, not padding: padding would change a non-causal network's predictions. The cut
    points do not depend on anything but the lengths, so a track gets the same batch (and the same
    float rounding) however its results are used.
    """
    batch_size = check_int(batch_size, "batch_size (tracks per network call)")
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    batches = []
    for s in range(0, order.size, batch_size):
        chunk = order[s : s + batch_size]
        cuts = np.flatnonzero(np.diff(lengths[chunk])) + 1
        batches += np.split(chunk, cuts)
    return batches


class Predictor:
    """A network with its config and card: batched, normalised inference on tracks of any length >=
    MIN_TRACK_LENGTH, and segmentation by the post-processing tuned for it.

    Positions in any unit (the input is normalised per track), time in frames.
    """

    def __init__(self, net: torch.nn.Module, config: ModelConfig, card: dict, device: torch.device):
        self.net, self.config, self.card, self.device = net.eval(), config, card, device

    @property
    def task(self) -> str:
        """"alpha" (the exponent at every point) or "model" (the diffusion model at every point)."""
        return self.config.task

    @property
    def trajectory_level(self) -> bool:
        """True for a network that gives one output per whole trajectory (the WADNet classifier):
        predict gives (N,) and predict_proba (N, n_classes); it has no point-wise output to segment."""
        return self.config.trajectory_level

    @property
    def min_length(self) -> int:
        """Fewest points of a track this network is given: a segment's (10) for a trajectory classifier,
        which labels segments, else MIN_TRACK_LENGTH (20)."""
        return MIN_SEGMENT if self.trajectory_level else MIN_TRACK_LENGTH

    @property
    def classes(self) -> tuple:
        """Class names of a diffusion-model network's outputs, in output order (uandi.MODELS)."""
        return self.config.classes

    @torch.no_grad()
    def _outputs(self, tracks: list, batch_size: int, progress=None) -> list:
        """Raw network outputs per track, (L_i, n_outputs) float32 each ((n_outputs,) for a trajectory-level
        network), in input order. `tracks` are checked (L_i, 2) float arrays; progress(n) is called with
        the points of each finished batch."""
        out = [None] * len(tracks)
        for batch in length_batches([len(t) for t in tracks], batch_size):
            feats = network_input(np.stack([tracks[i] for i in batch]), self.config.representation)  # (B, C, L)
            logits = self.net(torch.from_numpy(feats).to(self.device))  # (B, n_outputs, L) or (B, n_outputs)
            if logits.dim() == 3:
                logits = logits.transpose(1, 2)  # (B, L, n_outputs)
            res = logits.float().cpu().numpy()  # (B, L, n_outputs) or (B, n_outputs)
            for j, i in enumerate(batch):
                out[i] = res[j]
            if progress is not None:
                progress(len(batch) * feats.shape[2])
        return out

    def _pack(self, values: list, was_array: bool):
        # a trajectory-level network gives every track an output of the same shape: always one array
        return np.stack(values) if was_array or self.trajectory_level else values

    @staticmethod
    def _alpha(raw: list) -> list:
        return [np.clip(o[..., 0], ALPHA_MIN, ALPHA_MAX) for o in raw]  # (L,) each, or () per trajectory

    @staticmethod
    def _proba(raw: list) -> list:
        probabilities = []
        for o in raw:  # (L, C) logits, or (C,) for a whole trajectory
            e = np.exp(o - o.max(axis=-1, keepdims=True))
            probabilities.append(e / e.sum(axis=-1, keepdims=True))
        return probabilities

    def predict(self, x, batch_size: int = 256):
        """Alpha network: (N, L) float alpha clipped to [0.05, 2]. Diffusion-model network: (N, L) int
        class ids (order `classes`). x: positions (N, L, 2) or a list of (L_i, 2) arrays, which gives a
        list back. A trajectory-level network (the WADNet classifier) gives one value per track, (N,)."""
        tracks, was_array = as_tracks(x, self.min_length)
        raw = self._outputs(tracks, batch_size)
        values = self._alpha(raw) if self.task == "alpha" else [o.argmax(axis=-1) for o in raw]
        return self._pack(values, was_array)

    def predict_proba(self, x, batch_size: int = 256):
        """Diffusion-model network only: (N, L, n_classes) class probabilities (softmax), order `classes`;
        a trajectory-level classifier gives (N, n_classes), one row per whole track."""
        if self.task != "model":
            raise ValueError("predict_proba is for a diffusion-model classifier; this network predicts alpha")
        tracks, was_array = as_tracks(x, self.min_length)
        return self._pack(self._proba(self._outputs(tracks, batch_size)), was_array)

    def pointwise(self, x, batch_size: int = 256, *, progress=None, check_input: bool = True) -> list:
        """What the post-processing reads, per track: alpha (L_i,) clipped to [0.05, 2] (alpha network)
        or class probabilities (L_i, n_classes) (diffusion-model network), as a list in input order.

        progress : None or a callable, called with the number of points of each finished batch.
        check_input : False skips the checks of `as_tracks` for a caller that made them already
            (uandi.segment's pieces); x must then be a list of finite (L_i, 2) float arrays with
            L_i >= MIN_TRACK_LENGTH.
        """
        self._require_pointwise("pointwise")
        tracks = as_tracks(x)[0] if check_input else x
        raw = self._outputs(tracks, batch_size, progress)
        return self._alpha(raw) if self.task == "alpha" else self._proba(raw)

    def _require_pointwise(self, method: str) -> None:
        if self.trajectory_level:
            raise ValueError(f"{method} needs a point-wise network; this one ({self.config.arch}) labels whole "
                             "trajectories: use predict_proba, or give it to uandi.segment as classifier=")

    def postprocess_settings(self, **overrides) -> dict:
        """The rule that cuts this network's output into segments: the card's tuned one, with
        `overrides` (None: the card's value); see uandi.postprocess.alpha_postprocess_settings and
        model_postprocess_settings for the methods and their settings."""
        if self.task == "alpha":
            return alpha_postprocess_settings(self, **overrides)
        return model_postprocess_settings(self, **overrides)

    def segment(self, x, batch_size: int = 256, *, likelihood: bool | None = None, pixel_size: float | None = None,
                frame_interval: float | None = None, workers: int | None = None, **overrides) -> list[Segments]:
        """Changepoints and per-segment values of each track, by the post-processing tuned for this
        network (its card's ``postprocess``).

        x : positions (N, L, 2) or a list of (L_i, 2) arrays, in any unit; time in frames.
        overrides : the post-processing's settings, None meaning the value tuned in the card:
            ``method`` (alpha network: "appendix" or "contrast"; diffusion-model network: "labels" or
            "contrast"), ``eps`` (Appendix threshold, alpha per frame), ``window`` (points on each
            side), ``threshold`` (alpha units, or probability units in [0, 1]), ``min_gap`` (shortest
            segment, in points).

        likelihood : alpha network: the exact FBM likelihood chooses the changepoints among the
            network's candidates and gives each segment its maximum-likelihood alpha, K and
            localization error with standard errors (uandi.postprocess.refine_segments; FBM assumed).
            None (default): only for a network trained on FBM alone (the paper's subtask 1,
            "alpha-fbm"); a network trained on all five models gets it only with likelihood=True, since
            the FBM likelihood would mislead on CTRW, LW or ATTM segments. False: the network alone.
        pixel_size, frame_interval : micrometres per input unit and seconds per frame, for K in
            um^2 / s^alpha (default: input units and frames).
        workers : processes for the likelihood (uandi.workers; None = the CPUs available, 1 = this
            process only; Linux, inputs of 500,000 points or more).

        Returns one uandi.postprocess.Segments per track: ``.changepoints`` (K,) (first points of new
        segments, 0-based frames), ``.starts``, ``.lengths`` and per-segment ``.values``: ``alpha`` (the
        likelihood's estimate, or the mean point-wise alpha), ``alpha_se``, ``K``, ... (see
        uandi.postprocess.segment_columns), or ``model`` (class name) and ``probability`` (its mean
        probability).
        """
        self._require_pointwise("segment")
        check_units(pixel_size, frame_interval)  # before any work
        if workers is not None:
            check_int(workers, "workers")
        rule = self.postprocess_settings(**overrides)
        tracks = as_tracks(x)[0]
        outputs = self.pointwise(tracks, batch_size, check_input=False)
        key = "alpha" if self.task == "alpha" else "proba"
        rule_key = "alpha_rule" if self.task == "alpha" else "model_rule"
        segments = [segment_track(t, **{key: out, rule_key: rule}, min_gap=rule["min_gap"], classes=self.classes)
                    for t, out in zip(tracks, outputs)]
        if likelihood is None:
            likelihood = assumes_fbm(self)
        if likelihood and self.task == "alpha":
            segments = refine_segments(tracks, segments, alpha=outputs, model_rule={"min_gap": rule["min_gap"]},
                                       pixel_size=pixel_size, frame_interval=frame_interval, workers=workers)
        return segments


def load(name_or_path="alpha", device: str = "auto") -> Predictor:
    """Load a shipped network (see uandi.weights.SHIPPED: "alpha", "diffusion-model", "trajectory-model",
    ...) or a weights file or training run folder, onto `device` ("auto": the GPU if torch sees one,
    "cpu", "cuda")."""
    path = resolve(name_or_path)
    state, card = read_weights(path)
    cfg = ModelConfig.from_dict(card["config"])
    net = build_model(cfg)
    try:
        net.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"{path} does not match its own network config ({cfg.arch}, width {cfg.width}): {e}") from e
    dev = resolve_device(device)
    return Predictor(net.to(dev), cfg, card, dev)
