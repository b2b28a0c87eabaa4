"""Physics only: anomalous-diffusion trajectories (FBM, CTRW, LW, ATTM, SBM) and their composition.

Every function takes an explicit numpy.random.Generator and is vectorised over the batch.
"""

from .compose import TASKS, SimDataset, dataset, segment_lengths
from .models import trajectories
from .noise import add_localization_noise

__all__ = ["TASKS", "SimDataset", "add_localization_noise", "dataset", "segment_lengths", "trajectories"]
