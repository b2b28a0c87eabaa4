"""Inference: weights file -> Predictor -> point-wise alpha or class probabilities, any track length.

    net = uandi.load("alpha")                  # shipped network, or a .safetensors file / run folder
    alpha = net.predict(x)                     # x: (N, L, 2) positions or a list of (L_i, 2) arrays
    net = uandi.load("diffusion-model")
    proba = net.predict_proba(x)               # (N, L, 5), classes in net.classes (uandi.MODELS order)

Weight files, their cards and the shipped networks' names are `uandi.weights`' business; this module
only turns a resolved file into a network on a device. It never imports the training code.
"""

from __future__ import annotations

import numpy as np
import torch

from .constants import ALPHA_MAX, ALPHA_MIN, MIN_TRACK_LENGTH
from .data.normalize import network_input
from .nn.device import resolve_device
from .nn.registry import ModelConfig, build_model
from .weights import read_weights, resolve


def as_tracks(x, min_length: int = MIN_TRACK_LENGTH) -> tuple[list, bool]:
    """Check positions and return (list of (L_i, 2) float64 arrays, input_was_array)."""
    if isinstance(x, np.ndarray) or torch.is_tensor(x):
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 2 and arr.shape[-1] == 2:
            raise ValueError("positions must be (N, L, 2); for one track of shape (L, 2) pass x[None] or [x]")
        if arr.ndim != 3 or arr.shape[-1] != 2:
            raise ValueError(
                f"positions must have shape (N, L, 2) (N tracks, L points, x and y); got {arr.shape}. "
                "Only 2D tracks are supported."
            )
        tracks, was_array = list(arr), True
    elif isinstance(x, (list, tuple)):
        tracks, was_array = [np.asarray(t, dtype=np.float64) for t in x], False
        for i, t in enumerate(tracks):
            if t.ndim != 2 or t.shape[1] != 2:
                raise ValueError(f"track {i} has shape {t.shape}; each track must be (L, 2): only 2D tracks are supported")
    else:
        raise TypeError(f"positions must be a numpy array (N, L, 2) or a list of (L, 2) arrays, got {type(x).__name__}")
    if not tracks:
        raise ValueError("no tracks given")
    for i, t in enumerate(tracks):
        if len(t) < min_length:
            raise ValueError(f"track {i} has {len(t)} points; at least {min_length} are needed for a prediction")
        if not np.all(np.isfinite(t)):
            raise ValueError(f"track {i} contains NaN or inf positions; remove or interpolate them first")
    return tracks, was_array


class Predictor:
    """A network with its config: batched, normalised inference on tracks of any length >= MIN_TRACK_LENGTH."""

    def __init__(self, net: torch.nn.Module, config: ModelConfig, card: dict, device: torch.device):
        self.net, self.config, self.card, self.device = net.eval(), config, card, device

    @property
    def task(self) -> str:
        return self.config.task

    @property
    def classes(self) -> tuple:
        return self.config.classes

    @torch.no_grad()
    def _outputs(self, x, batch_size: int) -> tuple[list, bool]:
        """Raw network outputs per track, (L_i, n_outputs) float32 each, in input order."""
        tracks, was_array = as_tracks(x)
        out = [None] * len(tracks)
        by_length: dict[int, list] = {}
        for i, t in enumerate(tracks):
            by_length.setdefault(len(t), []).append(i)
        for length, idx in by_length.items():
            for s in range(0, len(idx), batch_size):
                chunk = idx[s : s + batch_size]
                feats = network_input(np.stack([tracks[i] for i in chunk]), self.config.representation)  # (B, C, L)
                logits = self.net(torch.from_numpy(feats).to(self.device))  # (B, n_outputs, L)
                res = logits.transpose(1, 2).float().cpu().numpy()  # (B, L, C)
                for j, i in enumerate(chunk):
                    out[i] = res[j]
        return out, was_array

    @staticmethod
    def _pack(values: list, was_array: bool):
        return np.stack(values) if was_array else values

    def predict(self, x, batch_size: int = 256):
        """Alpha task: (N, L) float alpha clipped to [0.05, 2]. Model task: (N, L) int class ids.
        A list input gives a list back."""
        out, was_array = self._outputs(x, batch_size)
        if self.task == "alpha":
            vals = [np.clip(o[:, 0], ALPHA_MIN, ALPHA_MAX) for o in out]
        else:
            vals = [o.argmax(axis=1) for o in out]
        return self._pack(vals, was_array)

    def predict_proba(self, x, batch_size: int = 256):
        """Model task only: (N, L, n_classes) class probabilities (softmax), order `self.classes`."""
        if self.task != "model":
            raise ValueError("predict_proba is for a diffusion-model classifier; this network predicts alpha")
        out, was_array = self._outputs(x, batch_size)
        vals = []
        for o in out:
            e = np.exp(o - o.max(axis=1, keepdims=True))
            vals.append(e / e.sum(axis=1, keepdims=True))
        return self._pack(vals, was_array)


def load(name_or_path="alpha", device: str = "auto") -> Predictor:
    """Load a shipped network (see uandi.weights.SHIPPED: "alpha", "diffusion-model") or a weights file
    or training run folder, onto `device` ("auto": the GPU if torch sees one, "cpu", "cuda")."""
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
