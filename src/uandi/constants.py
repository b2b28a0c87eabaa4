"""Names and ranges shared by every part of the package (simulator, networks, files)."""

# Class order of subtask 2: the paper's and the AnDi challenge's (alphabetical). Class id = index.
MODELS = ("attm", "ctrw", "fbm", "lw", "sbm")

# Allowed anomalous exponent per diffusion model, inclusive bounds (SCIENCE.md section 1).
# FBM is undefined at alpha = 2 (Hurst exponent 1), so its range stops just below.
ALPHA_RANGES = {
    "attm": (0.05, 1.0),
    "ctrw": (0.05, 1.0),
    "fbm": (0.05, 1.99),
    "lw": (1.0, 2.0),
    "sbm": (0.05, 2.0),
}

# Subtask 1 draws alpha from this range and clips predictions to [ALPHA_MIN, ALPHA_MAX].
ALPHA_MIN, ALPHA_MAX = 0.05, 2.0
TASK1_ALPHA_RANGE = (0.05, 1.99)

# Every segment of a simulated trajectory is at least this many points long.
MIN_SEGMENT = 10

# Shortest track (or piece of track) the networks are asked to analyse, in points: two minimal segments.
MIN_TRACK_LENGTH = 2 * MIN_SEGMENT


def class_indices(model_ids, classes=MODELS, missing: int = -1):
    """Map class ids (order MODELS) to indices into `classes`, e.g. ("ctrw", "fbm") -> 0, 1; ids of
    models not in `classes` become `missing`. Returns an int64 numpy array of the input's shape."""
    import numpy as np

    lookup = np.full(len(MODELS), missing, dtype=np.int64)
    lookup[[MODELS.index(c) for c in classes]] = np.arange(len(classes))
    return lookup[np.asarray(model_ids, dtype=np.int64)]
