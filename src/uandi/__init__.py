"""uandi: point-wise segmentation of 2D anomalous-diffusion trajectories with U-AnDi.

    import uandi
    net = uandi.load("alpha")                # shipped network: the exponent alpha at every point
    alpha = net.predict(positions)           # positions (N, L, 2) or a list of (L_i, 2) arrays
    segments = net.segment(positions)        # per track: changepoints and per-segment alpha
    points, segments = uandi.segment("tracks.csv")   # a track file, DataFrame or positions in, tables out

The shipped networks ("alpha", "alpha-fbm", "alpha-all", "diffusion-model", "trajectory-model": one
label per whole track) are listed in uandi.weights.SHIPPED.
Importing is cheap and has no side effects: torch and the submodules load on first use.
"""

from importlib import import_module

from .constants import ALPHA_RANGES, MODELS

__version__ = "0.1.0"

_LAZY = {
    "load": ("predict", "load"),
    "segment": ("segmentation", "segment"),
    "read_tracks": ("io", "read_tracks"),
    "Segments": ("postprocess", "Segments"),
    "simulate": ("simulate", None),
    "metrics": ("metrics", None),
    "postprocess": ("postprocess", None),
    "plot": ("plot", None),
    "weights": ("weights", None),
}

__all__ = ["ALPHA_RANGES", "MODELS", "__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'uandi' has no attribute {name!r}")
    module, attr = _LAZY[name]
    mod = import_module(f".{module}", __name__)
    return mod if attr is None else getattr(mod, attr)
