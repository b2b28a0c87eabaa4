"""Networks: WADNet encoder and classifier, U-AnDi, the LSTM/GRU/Transformer baselines, the registry."""

from .registry import ARCHITECTURES, PRESETS, ModelConfig, build_model, count_parameters, preset

__all__ = ["ARCHITECTURES", "PRESETS", "ModelConfig", "build_model", "count_parameters", "preset"]
