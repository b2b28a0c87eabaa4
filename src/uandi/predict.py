"""Inference: weights file -> Predictor -> point-wise alpha or class probabilities, any track length.

    m = uandi.load("alpha")            # shipped model, or a path to a .safetensors file / run folder
    alpha = m.predict(x)               # x: (N, L, 2) positions or a list of (L_i, 2) arrays
    m = uandi.load("model")
    proba = m.predict_proba(x)         # (N, L, 5), classes in m.classes (uandi.MODELS order)

Weights are `.safetensors` (no pickle: loading never runs code) with the network config stored in the
file's metadata and, beside it, a JSON card (config, training recipe, validation metrics, sha256).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from .constants import ALPHA_MAX, ALPHA_MIN, MIN_TRACK_LENGTH
from .data.normalize import network_input
from .nn.registry import ModelConfig, build_model

MIN_LENGTH = MIN_TRACK_LENGTH  # shortest track analysed, in points (two minimal segments)
SHIPPED = ("alpha", "model")


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_weights(net: torch.nn.Module, cfg: ModelConfig, path, card: dict | None = None) -> Path:
    """Write `path` (.safetensors, config in its metadata) and `path` with .json (the weight card)."""
    from safetensors.torch import save_file

    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(path), metadata={"uandi_config": json.dumps(cfg.to_dict())})
    full_card = {"config": cfg.to_dict(), **(card or {}), "file": path.name, "sha256": sha256(path),
                 "bytes": path.stat().st_size}
    path.with_suffix(".json").write_text(json.dumps(full_card, indent=2))
    return path


NEGLIGIBLE_WEIGHT = 1e-20  # |w| below this is set to 0 on loading, see _zero_negligible_weights


def _zero_negligible_weights(state: dict) -> None:
    """Set float weights with |w| < 1e-20 to exactly 0, in place.

    Weight decay drives unused weights towards 0 without reaching it; times small activations their
    products fall below float32's smallest normal number (1.2e-38), and CPU arithmetic on such subnormal
    numbers is very slow: the shipped model network ran 3x slower on one thread. A weight 19 orders of
    magnitude below the typical one (~0.1) is far below the float32 resolution of any sum it enters, so
    zeroing it changes no output.
    """
    for tensor in state.values():
        if tensor.is_floating_point():
            tensor[tensor.abs() < NEGLIGIBLE_WEIGHT] = 0.0


def read_weights(path) -> tuple[dict, dict]:
    """(state dict, card) of a .safetensors weights file; the card falls back to the file's metadata."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist")
    try:
        state = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise ValueError(f"{path} is not a readable .safetensors weights file ({e}); re-export or re-download it") from e
    _zero_negligible_weights(state)
    card_file = path.with_suffix(".json")
    card = json.loads(card_file.read_text()) if card_file.is_file() else {}
    if "config" not in card:
        if "uandi_config" not in meta:
            raise ValueError(f"{path} carries no uandi network config (no metadata, no {card_file.name})")
        card["config"] = json.loads(meta["uandi_config"])
    return state, card


def _resolve(name_or_path) -> Path:
    if isinstance(name_or_path, str) and name_or_path in SHIPPED:
        p = Path(str(resources.files("uandi") / "weights" / f"{name_or_path}.safetensors"))
        if not p.is_file():
            raise FileNotFoundError(f"the shipped model {name_or_path!r} is missing from this installation ({p})")
        return p
    p = Path(name_or_path)
    if p.is_dir():
        for candidate in ("best.safetensors", "model.safetensors"):
            if (p / candidate).is_file():
                return p / candidate
        raise FileNotFoundError(f"folder {p} holds no best.safetensors or model.safetensors")
    if p.suffix != ".safetensors" or not p.exists():
        raise ValueError(
            f"unknown model {name_or_path!r}: give a shipped model name ({', '.join(SHIPPED)}), "
            "a .safetensors file or a training run folder"
        )
    return p


def as_tracks(x, min_length: int = MIN_LENGTH) -> tuple[list, bool]:
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
    """A network with its config: batched, normalised inference on tracks of any length >= MIN_LENGTH."""

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
                feats = network_input(np.stack([tracks[i] for i in chunk]), self.config.representation)
                logits = self.net(torch.from_numpy(feats).transpose(1, 2).to(self.device))  # (B, C, L)
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
    """Load a shipped model ("alpha", "model") or a weights file / training run folder."""
    from .train import resolve_device

    path = _resolve(name_or_path)
    state, card = read_weights(path)
    cfg = ModelConfig.from_dict(card["config"])
    net = build_model(cfg)
    try:
        net.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"{path} does not match its own network config ({cfg.arch}, width {cfg.width}): {e}") from e
    dev = resolve_device(device)
    return Predictor(net.to(dev), cfg, card, dev)
