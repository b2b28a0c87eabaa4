"""Datasets: folders on disk (written in shards, read memory-mapped), torch datasets, normalisation.

Torch is imported only by `uandi.data.stream`, so reading files and normalising stay light.
"""

from .files import DiskDataset, read_dataset, write_dataset
from .normalize import REPRESENTATIONS, network_input, scaled_increments, zscore

__all__ = ["DiskDataset", "REPRESENTATIONS", "network_input", "read_dataset", "scaled_increments",
           "write_dataset", "zscore"]
