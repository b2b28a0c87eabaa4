"""The networks on motion-blurred tracks -> docs/results.md (block "blur").

    python benchmarks/blur_robustness.py --model diffusion-model,runs/model-blur-b8/best.safetensors \
        --alpha alpha-all,runs/alpha-all-blur-b8/best.safetensors

A camera integrates light over its exposure, so each localization is the particle's mean position over
that time (uandi.simulate.blur): steps become correlated, as super-diffusion's are. Sets: the subtask-2
mix (2-5 scale-free segments, each one of the five models, alpha uniform in its range, our flavour, no
noise) at L = 200 and 500, with the shutter open 0, 1/2 and the whole of each frame (exposure 0, 0.5,
1), seeds [46, L, 10 x exposure]; and plain Brownian motion (300 points, 1,000 tracks), where the truth
is alpha = 1. For each diffusion-model network: point accuracy, and by true model; for each alpha
network: point-wise MAE, and by true model; on Brownian motion the median of each track's mean alpha.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from _report import markdown_table, mean_by_model, write_block
from uandi.constants import MODELS
from uandi.predict import load
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="trajectories per set")
    ap.add_argument("--model", default="diffusion-model", help="comma-separated diffusion-model networks")
    ap.add_argument("--alpha", default="alpha-all", help="comma-separated alpha networks")
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

    model_rows, alpha_rows, bm_rows = [], [], []
    for w in [w for w in a.model.split(",") if w]:
        net = load(w, device="cpu")
        for length, e, x, alpha, model in sets:
            model_rows.append((w, length, e, *mean_by_model(net.predict(x) == model, model)))
            print(model_rows[-1], flush=True)
    for w in [w for w in a.alpha.split(",") if w]:
        net = load(w, device="cpu")
        for length, e, x, alpha, model in sets:
            alpha_rows.append((w, length, e, *mean_by_model(np.abs(net.predict(x) - alpha), model)))
            print(alpha_rows[-1], flush=True)
        bm_rows.append((w, [float(np.median(net.predict(bm[e]).mean(axis=1))) for e in EXPOSURES]))
        print(bm_rows[-1], flush=True)

    cmd = f"python benchmarks/blur_robustness.py --n {a.n} --threads {a.threads} --model {a.model} --alpha {a.alpha}"
    lines = ["## The networks on motion-blurred tracks", "",
             f"Reproduce: `{cmd}` ({time.time() - t0:.0f} s)." + (f" {a.note}" if a.note else ""), "",
             f"{a.n} trajectories per set of the subtask-2 mix (2-5 scale-free segments, our flavour, no noise), "
             "each frame's position averaged over the exposure (a fraction of the frame interval; 0 = "
             "instantaneous frames; uandi.simulate.blur). Blur correlates consecutive steps, as "
             "super-diffusion does: a network that never saw it reads blurred tracks as more directed.", "",
             "### Diffusion model: point accuracy, and by true model", ""]
    per_model = [m.upper() for m in MODELS]
    lines += markdown_table(["network", "L", "exposure", "accuracy", *per_model],
                            [[w, length, f"{e:g}", f"{acc:.3f}", *(f"{v:.3f}" for v in per)]
                             for w, length, e, acc, per in model_rows])
    lines += ["", "### Alpha: point-wise MAE, and by true model", ""]
    lines += markdown_table(["network", "L", "exposure", "all points", *per_model],
                            [[w, length, f"{e:g}", f"{mae:.3f}", *(f"{v:.3f}" for v in per)]
                             for w, length, e, mae, per in alpha_rows])
    lines += ["", f"### Alpha on plain Brownian motion (truth 1; {a.n} tracks of 300 points): median of the "
              "tracks' mean alpha", ""]
    lines += markdown_table(["network", *(f"exposure {e:g}" for e in EXPOSURES)],
                            [[w, *(f"{v:.2f}" for v in medians)] for w, medians in bm_rows])
    text = "\n".join(lines)
    print(text)
    write_block(Path(a.out), "blur", text)


if __name__ == "__main__":
    main()
