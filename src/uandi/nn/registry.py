"""Name -> config -> module. Every network of the package is built from a ModelConfig.

Presets (`PRESETS`): the paper's sizes and small ones a CPU can train. The config is written as JSON
into every checkpoint and weight card, so a weights file always rebuilds its own network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from torch import nn

from ..constants import MODELS
from ..data.normalize import REPRESENTATIONS

ARCHITECTURES = ("uandi", "lstm", "gru", "transformer", "wadnet")


@dataclass(frozen=True)
class ModelConfig:
    arch: str = "uandi"  # one of ARCHITECTURES
    task: str = "alpha"  # "alpha" (regression, 1 output) or "model" (classification)
    width: int = 64  # U-AnDi base width b; hidden size of RNNs; model dim of the Transformer
    n_outputs: int = 1  # 1 for alpha; number of classes for model
    classes: tuple = ()  # class names of the outputs (task "model"); default uandi.MODELS
    causal: bool = False  # WADNet padding: left only (paper text) or both sides (reference code)
    shared_mix: bool = False  # one 1x1 conv shared by the gated layers (reference code)
    dropout: float = 0.0  # after each BatchNorm (reference code: 0.1)
    representation: str = "increments"  # network input, see uandi.data.normalize
    bidirectional: bool = True  # RNN baselines only

    def __post_init__(self):
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {ARCHITECTURES}")
        if self.task not in ("alpha", "model"):
            raise ValueError(f"task must be 'alpha' or 'model', got {self.task!r}")
        if self.representation not in REPRESENTATIONS:
            raise ValueError(f"representation must be one of {sorted(REPRESENTATIONS)}, got {self.representation!r}")
        if self.task == "model" and not self.classes:
            object.__setattr__(self, "classes", MODELS[: self.n_outputs] if self.n_outputs != 5 else MODELS)
        object.__setattr__(self, "classes", tuple(self.classes))
        if self.task == "model" and len(self.classes) != self.n_outputs:
            raise ValueError(f"{self.n_outputs} outputs but {len(self.classes)} class names {self.classes}")

    @property
    def trajectory_level(self) -> bool:
        """True for a network with one output per trajectory (the WADNet classifier), False for the
        point-wise segmenters."""
        return self.arch == "wadnet"

    @property
    def in_channels(self) -> int:
        return REPRESENTATIONS[self.representation]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["classes"] = list(self.classes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"model config has unknown fields {sorted(unknown)}; was it written by a newer uandi?")
        return cls(**{k: (tuple(v) if k == "classes" else v) for k, v in d.items()})


PRESETS = {
    # The paper's networks (Table I): 59 M / 236 M parameters with the reference code's shared 1x1 conv.
    "paper-alpha": ModelConfig(task="alpha", width=64, n_outputs=1, shared_mix=True, dropout=0.1,
                               representation="positions"),
    "paper-model": ModelConfig(task="model", width=128, n_outputs=5, shared_mix=True, dropout=0.1,
                               representation="positions"),
    # CPU-sized networks (b = 16 and b = 8) with the measured better input representation.
    "small-alpha": ModelConfig(task="alpha", width=16, n_outputs=1),
    "small-model": ModelConfig(task="model", width=16, n_outputs=5),
    "tiny-alpha": ModelConfig(task="alpha", width=4, n_outputs=1),
    "tiny-model": ModelConfig(task="model", width=4, n_outputs=5),
    # Baselines of the paper (Sec. IV).
    "lstm-alpha": ModelConfig(arch="lstm", task="alpha", width=64, n_outputs=1),
    "gru-alpha": ModelConfig(arch="gru", task="alpha", width=64, n_outputs=1),
    "transformer-alpha": ModelConfig(arch="transformer", task="alpha", width=128, n_outputs=1),
    "lstm-model": ModelConfig(arch="lstm", task="model", width=64, n_outputs=5),
    "gru-model": ModelConfig(arch="gru", task="model", width=64, n_outputs=5),
    "transformer-model": ModelConfig(arch="transformer", task="model", width=128, n_outputs=5),
    # WADNet trajectory classifier (Li, Yao, Huang 2021): one label for a whole trajectory, used by the
    # paper to label short real tracks and the segments U-AnDi finds (Sec. V).
    "wadnet-model": ModelConfig(arch="wadnet", task="model", width=32, n_outputs=5),
}


def preset(name: str, **overrides) -> ModelConfig:
    """A preset config, optionally with fields replaced (e.g. preset("small-alpha", width=24))."""
    if name not in PRESETS:
        raise ValueError(f"unknown network preset {name!r}; choose one of {sorted(PRESETS)}")
    return replace(PRESETS[name], **overrides)


def build_model(cfg: ModelConfig) -> nn.Module:
    """The torch module of a config: (B, C_in, L) -> (B, n_outputs, L) (WADNet: (B, n_outputs))."""
    from .baselines import RNNSegmenter, TransformerSegmenter
    from .unet import UAnDi
    from .wadnet import WADNetClassifier

    if cfg.arch == "uandi":
        return UAnDi(cfg.in_channels, cfg.width, cfg.n_outputs, cfg.causal, cfg.shared_mix, cfg.dropout)
    if cfg.arch in ("lstm", "gru"):
        return RNNSegmenter(cfg.arch, cfg.in_channels, cfg.width, 3, cfg.n_outputs, cfg.bidirectional)
    if cfg.arch == "transformer":
        return TransformerSegmenter(cfg.in_channels, cfg.width, 3, 8, cfg.n_outputs, cfg.dropout)
    return WADNetClassifier(cfg.in_channels, cfg.width, 64, cfg.n_outputs, cfg.causal)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
