"""uandi: point-wise segmentation of 2D anomalous-diffusion trajectories with U-AnDi.

Importing is cheap and has no side effects; torch is imported only when a network is needed.
"""

from .constants import ALPHA_RANGES, MODELS

__version__ = "0.1.0"

__all__ = ["ALPHA_RANGES", "MODELS", "__version__"]
