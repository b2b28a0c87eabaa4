"""Write the example track file bundled with the package (src/uandi/examples/).

    python scripts/make_example.py

Eight simulated 2D tracks (trackpy-style columns particle, frame, x, y, in pixels) of 150-400 points,
each with 2-4 segments of different diffusion models and exponents, light localization noise, and the
ground truth beside it (example_truth.csv: true alpha, model and segment of every point).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from uandi.constants import MODELS
from uandi.simulate import dataset

OUT = Path(__file__).resolve().parents[1] / "src" / "uandi" / "examples"


def main() -> None:
    rng = np.random.default_rng(2026)
    rows, truth = [], []
    for track in range(8):
        length = int(rng.integers(150, 401))
        d = dataset("model", 1, length, rng, n_segments=(2, 4), noise=0.05)
        x = d.x[0] * 0.8 + rng.uniform(50, 450, 2)  # pixels: ~0.8 px RMS step, somewhere in the field
        seg = np.zeros(length, int)
        seg[d.changepoints[0]] = 1
        seg = np.cumsum(seg)
        for t in range(length):
            rows.append((track, t, round(float(x[t, 0]), 4), round(float(x[t, 1]), 4)))
            truth.append((track, t, round(float(d.alpha[0, t]), 4), MODELS[d.model[0, t]], int(seg[t])))
    OUT.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["particle", "frame", "x", "y"]).to_csv(OUT / "example_tracks.csv", index=False)
    pd.DataFrame(truth, columns=["particle", "frame", "alpha_true", "model_true", "segment_true"]).to_csv(
        OUT / "example_truth.csv", index=False)


if __name__ == "__main__":
    main()
