"""The networks on motion-blurred tracks -> docs/results.md (block "blur").

    python benchmarks/blur_robustness.py --model diffusion-model,runs/model-blur-b8/best.safetensors \
        --alpha alpha-all,runs/alpha-all-blur-b8/best.safetensors --fbm alpha-fbm,runs/alpha-fbm-blur-b8/best.safetensors

A camera integrates light over its exposure, so each localization is the particle's mean position over
that time (uandi.simulate.blur): steps become correlated, as super-diffusion's are. Sets: the subtask-2
mix (2-5 scale-free segments, each one of the five models, alpha uniform in its range, our flavour, no
noise) at L = 200 and 500, with the shutter open 0, 1/2 and the whole of each frame (exposure 0, 0.5,
1), seeds [46, L, 10 x exposure]; and plain Brownian motion (300 points, 1,000 tracks), where the truth
is alpha = 1. For each diffusion-model network: point accuracy, and by true model; for each alpha
network: point-wise MAE, and by true model; on Brownian motion the median of each track's mean alpha.
Subtask 1 (FBM only, 2-5 segments, consecutive alphas more than 0.5 apart, seeds [48, L, 10 x exposure]),
for each FBM alpha network (--fbm): the network's point-wise MAE, and the product's (`uandi.segment`
with the alpha task: the network proposes changepoints, the exact likelihood chooses them and measures
each segment) MAE and changepoint F1, with the exposure given and without it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from _report import markdown_table, per_model_table, scores_by_model, write_block
from uandi.metrics import changepoint_scores
from uandi.predict import load
from uandi.segmentation import segment
from uandi.simulate import dataset
from uandi.simulate.blur import blurred_steps

EXPOSURES = (0.0, 0.5, 1.0)


def brownian(n: int, length: int, exposure: float, rng: np.random.Generator) -> np.ndarray:
    """(n, length, 2) Brownian positions, frames averaged over `exposure` (0: instantaneous)."""
    alpha = np.ones(n)
    if exposure > 0:
        steps = blurred_steps("fbm", alpha, length - 1, np.full(n, exposure), rng, np.float64)
    else:
        steps = rng.standard_normal((n, length - 1, 2))
    return np.concatenate([np.zeros((n, 1, 2)), np.cumsum(steps, axis=1)], axis=1)


def product_scores(net, x: np.ndarray, alpha: np.ndarray, true_cps: list, exposure: float) -> tuple[float, float]:
    """MAE of each point's segment alpha and the changepoint F1 of `uandi.segment` (alpha task, the
    likelihood path) told the given exposure."""
    points, segments = segment(x.astype(np.float64), tasks=("alpha",), weights={"alpha": net}, exposure=exposure)
    reported = points["segment_alpha"].to_numpy(np.float64).reshape(alpha.shape)
    later = segments[segments["segment"] > 0]
    found = [later.loc[later["track_id"] == k, "first_frame"].to_numpy() for k in range(len(x))]
    return float(np.abs(np.clip(reported, 0.05, 2.0) - alpha).mean()), changepoint_scores(found, true_cps)["f1"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="trajectories per set")
    ap.add_argument("--model", default="diffusion-model", help="comma-separated diffusion-model networks")
    ap.add_argument("--alpha", default="alpha-all", help="comma-separated alpha networks")
    ap.add_argument("--fbm", default="alpha-fbm", help="comma-separated FBM alpha networks (subtask 1; '' for none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--note", default="", help="a sentence for the page, e.g. what a network path holds")
    ap.add_argument("--out", default="docs/results.md")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    sets = []
    for length in (200, 500):
        for e in EXPOSURES:
            d = dataset("model", a.n, length, np.random.default_rng([46, length, int(10 * e)]), exposure=e)
            sets.append((length, e, d.x, d.alpha, d.model))
    bm = {e: brownian(a.n, 300, e, np.random.default_rng([47, int(10 * e)])) for e in EXPOSURES}
    fbm_sets = []
    for length in (200, 500) if a.fbm else ():
        for e in EXPOSURES:
            d = dataset("alpha", a.n, length, np.random.default_rng([48, length, int(10 * e)]), min_alpha_jump=0.5,
                        exposure=e)
            fbm_sets.append((length, e, d.x, d.alpha, d.changepoints))

    model_rows = scores_by_model(a.model, sets, lambda net, x, alpha, model: net.predict(x) == model)
    alpha_rows = scores_by_model(a.alpha, sets, lambda net, x, alpha, model: np.abs(net.predict(x) - alpha))
    bm_rows = []
    for w in [w for w in a.alpha.split(",") if w]:
        net = load(w, device="cpu")
        bm_rows.append((w, [float(np.median(net.predict(bm[e]).mean(axis=1))) for e in EXPOSURES]))
        print(bm_rows[-1], flush=True)
    fbm_rows = []
    for w in [w for w in a.fbm.split(",") if w]:
        net = load(w, device="cpu")
        for length, e, x, alpha, cps in fbm_sets:
            told = product_scores(net, x, alpha, cps, e)
            untold = product_scores(net, x, alpha, cps, 0.0) if e > 0 else told
            fbm_rows.append((w, length, e, float(np.abs(net.predict(x) - alpha).mean()), *told, *untold))
            print(fbm_rows[-1], flush=True)

    cmd = (f"python benchmarks/blur_robustness.py --n {a.n} --threads {a.threads} --model {a.model} --alpha {a.alpha} "
           f"--fbm '{a.fbm}'")
    lines = ["## The networks on motion-blurred tracks", "",
             f"Reproduce: `{cmd}` ({time.time() - t0:.0f} s)." + (f" {a.note}" if a.note else ""), "",
             f"{a.n} trajectories per set of the subtask-2 mix (2-5 scale-free segments, our flavour, no noise), "
             "each frame's position averaged over the exposure (a fraction of the frame interval; 0 = "
             "instantaneous frames; uandi.simulate.blur). Blur correlates consecutive steps, as "
             "super-diffusion does: a network that never saw it reads blurred tracks as more directed.", "",
             "### Diffusion model: point accuracy, and by true model", ""]
    lines += per_model_table(["network", "L", "exposure", "accuracy"], model_rows)
    lines += ["", "### Alpha: point-wise MAE, and by true model", ""]
    lines += per_model_table(["network", "L", "exposure", "all points"], alpha_rows)
    lines += ["", f"### Alpha on plain Brownian motion (truth 1; {a.n} tracks of 300 points): median of the "
              "tracks' mean alpha", ""]
    lines += markdown_table(["network", *(f"exposure {e:g}" for e in EXPOSURES)],
                            [[w, *(f"{v:.2f}" for v in medians)] for w, medians in bm_rows])
    if fbm_rows:
        lines += ["", f"### Subtask 1 (FBM, {a.n} tracks per set, alpha jumps > 0.5): the network, and `uandi.segment`'s "
                  "likelihood path with the exposure given (`--exposure`) or not", ""]
        lines += markdown_table(["network", "L", "exposure", "network MAE", "product MAE, exposure given", "F1",
                                 "product MAE, not given", "F1"],
                                [[w, length, f"{e:g}", *(f"{v:.3f}" for v in values)]
                                 for w, length, e, *values in fbm_rows])
    text = "\n".join(lines)
    print(text)
    write_block(Path(a.out), "blur", text)


if __name__ == "__main__":
    main()
