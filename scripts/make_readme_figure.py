"""The README's picture: one bundled example track segmented by the shipped models, beside the truth.

    python scripts/make_readme_figure.py [--track 1] [--out docs/example_track.png]

Runs the same `uandi.segment` as `uandi segment --example`, then draws the track coloured by the
predicted segments, the network's alpha(t), the alpha reported per segment (exact FBM or SBM
likelihood where the diffusion-model network says FBM or SBM) with its 95 % interval, and the true alpha, and the class
probabilities with the true class.
"""

import argparse
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

import uandi
from uandi.constants import MODELS
from uandi.plot import track_figure


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--track", type=int, default=1)
    ap.add_argument("--out", default="docs/example_track.png")
    a = ap.parse_args()
    folder = Path(str(resources.files("uandi") / "examples"))
    points, segments = uandi.segment(folder / "example_tracks.csv")
    truth = pd.read_csv(folder / "example_truth.csv")
    p = points[points["particle"] == a.track].sort_values("frame")
    t = truth[truth["particle"] == a.track].sort_values("frame")
    mine = segments[segments["track_id"] == a.track]  # one piece
    first_frames = mine["first_frame"].to_numpy()
    cps = first_frames[1:] - first_frames[0]
    proba = p[[f"p_{c}" for c in MODELS]].to_numpy()
    track_figure(p[["x", "y"]].to_numpy(), changepoints=cps, alpha_pred=p["alpha"].to_numpy(),
                 alpha_segment=p["segment_alpha"].to_numpy(np.float64),
                 alpha_segment_se=p["segment"].map(dict(zip(mine["segment"], mine["alpha_se"]))).to_numpy(np.float64),
                 alpha_true=t["alpha_true"].to_numpy(), proba=proba,
                 labels_true=np.array([MODELS.index(m) for m in t["model_true"]]),
                 title=f"example track {a.track}: predicted segments (true changepoints at "
                       f"{', '.join(str(int(i)) for i in np.flatnonzero(np.diff(t['segment_true']) != 0) + 1)})",
                 path=a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
