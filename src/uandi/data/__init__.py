"""Datasets: folders on disk (written in shards, read memory-mapped), torch datasets, normalisation.

Only the normalisation (numpy) loads with the package: inference needs it, while the dataset files
load the simulator and `uandi.data.stream` loads torch's data tools, so those load on first use.
"""

from importlib import import_module

from .normalize import REPRESENTATIONS, network_input, scaled_increments, zscore

_FROM_FILES = ("DiskDataset", "read_dataset", "write_dataset")

__all__ = ["DiskDataset", "REPRESENTATIONS", "network_input", "read_dataset", "scaled_increments",
           "write_dataset", "zscore"]


def __getattr__(name):
    if name in _FROM_FILES:
        return getattr(import_module(".files", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
