"""uandi: point-wise segmentation of 2D anomalous-diffusion trajectories with U-AnDi.

    import uandi
    m = uandi.load("alpha")                 # shipped subtask-1 network (alpha at every point)
    alpha = m.predict(positions)            # positions (N, L, 2) or a list of (L_i, 2) arrays
    points, segments = uandi.segment("tracks.csv")   # a track file in, tables out

Importing is cheap and has no side effects: torch and the submodules load on first use.
"""

from importlib import import_module

from .constants import ALPHA_RANGES, MODELS

__version__ = "0.1.0"

_LAZY = {
    "load": ("predict", "load"),
    "segment": ("segmentation", "segment"),
    "read_tracks": ("io", "read_tracks"),
    "simulate": ("simulate", None),
    "metrics": ("metrics", None),
    "postprocess": ("postprocess", None),
    "plot": ("plot", None),
}

__all__ = ["ALPHA_RANGES", "MODELS", "__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'uandi' has no attribute {name!r}")
    module, attr = _LAZY[name]
    mod = import_module(f".{module}", __name__)
    return mod if attr is None else getattr(mod, attr)
