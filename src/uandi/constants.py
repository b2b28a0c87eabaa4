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
