"""Networks: WADNet encoder and classifier, U-AnDi, the LSTM/GRU/Transformer baselines, the registry."""

from .device import DEVICES, resolve_device
from .registry import ARCHITECTURES, PRESETS, ModelConfig, build_model, count_parameters, preset

__all__ = ["ARCHITECTURES", "DEVICES", "PRESETS", "ModelConfig", "build_model", "count_parameters", "preset",
           "resolve_device"]
