"""The likelihood stage at scale, beside the networks' inference -> docs/likelihood.md (block).

    python benchmarks/likelihood_speed.py --write docs/likelihood.md      # 10,000 tracks, ~15 min

10,000 tracks of 500 points, the same --threads for torch and BLAS, the likelihood stage in one process and
in --threads worker processes (uandi.workers, the product's default), every run with the likelihood's caches
cleared (cold, as each `uandi segment` run starts); every time is the faster of two runs (on a shared machine
identical runs varied by up to 1.7x). The likelihood stage is timed directly: the seconds spent in
uandi.postprocess.refine_segments, which both entry points call (a first version took the difference of runs
with and without it, which doubled the noise: one such run read 36 s where the stage itself took 22 s).
Two product paths:
  - `uandi segment` (both tasks, the default): tracks of the subtask-2 mix (2-5 segments, each one of
    the five models). The networks' inference = the alpha-all and diffusion-model networks' forward
    passes; the likelihood stage = the FBM and SBM fits of the segments classified surely.
  - `uandi segment --tasks alpha` (FBM assumed, the paper's subtask 1): tracks of the subtask-1 set
    (L = 500, jump > 0.5, no noise and noise 0.1). Inference = the FBM network's forward pass; the
    likelihood stage = changepoints chosen among the candidates plus every segment's fit.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import pin_threads  # noqa: E402  (imports nothing that starts a thread pool)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    pin_threads(a.threads)  # before numpy is imported
    import numpy as np
    import torch

    from _report import write_block
    import uandi.postprocess as postprocess
    import uandi.predict as predict_module
    import uandi.segmentation as segmentation_module
    from uandi import segment
    from uandi.likelihood import clear_caches
    from uandi.predict import load
    from uandi.simulate import dataset
    from uandi.weights import default_network

    torch.set_num_threads(a.threads)
    rows = []
    inside: list = []  # seconds of each refine_segments call of the run being timed

    def refine_timed(*args, **kwargs):
        t = time.time()
        out = postprocess.refine_segments(*args, **kwargs)
        inside.append(time.time() - t)
        return out

    # both entry points (uandi.segment, Predictor.segment) call the stage by this name
    segmentation_module.refine_segments = predict_module.refine_segments = refine_timed

    def timed(f, repeat=2, stage=False):
        """Seconds of f() (with `stage`, only those inside the likelihood stage), the fastest of `repeat`
        runs (a shared machine's slow moments count once), each with the likelihood's factor caches
        cleared: cold, as every `uandi segment` run starts (a warm process would favour one process over
        workers, which fork from it and fill caches of their own)."""
        best = float("inf")
        for _ in range(repeat):
            clear_caches()
            inside.clear()
            t = time.time()
            f()
            best = min(best, sum(inside) if stage else time.time() - t)
        return best

    # both tasks (the default)
    d = dataset("model", a.n, a.length, np.random.default_rng(5), diffusion_factor=(0.5, 2.0))
    x = d.x.astype(np.float64)
    nets = [load(default_network(t, ("alpha", "model"))) for t in ("alpha", "model")]
    t_inf = timed(lambda: [nets[0].predict(d.x), nets[1].predict_proba(d.x)])
    t_one = timed(lambda: segment(x, workers=1), stage=True)
    t_with = timed(lambda: segment(x, workers=a.threads), stage=True)
    rows.append(("`uandi segment` (both tasks): five-model mix", t_inf, t_one, t_with))
    print(rows[-1], flush=True)
    # the alpha task alone
    fbm = load(default_network("alpha"))
    for name, opts in (("no noise", {}), ("noise 0.1", {"noise": 0.1})):
        d = dataset("alpha", a.n, a.length, np.random.default_rng([11, 2]), min_alpha_jump=0.5, **opts)
        x = d.x.astype(np.float64)
        t_inf = timed(lambda: fbm.predict(d.x))
        t_one = timed(lambda: fbm.segment(x, workers=1), stage=True)
        t_with = timed(lambda: fbm.segment(x, workers=a.threads), stage=True)
        rows.append((f"`--tasks alpha`: subtask 1, L = {a.length}, jump > 0.5, {name}", t_inf, t_one, t_with))
        print(rows[-1], flush=True)
    lines = [f"`python benchmarks/likelihood_speed.py --n {a.n} --threads {a.threads}` - {a.n:,} tracks of "
             f"{a.length} points, {a.threads} threads (torch and BLAS); the likelihood stage in one process and in "
             f"{a.threads} worker processes (uandi.workers, one BLAS thread each; the product's default on a machine "
             f"of {a.threads} CPUs); the stage = the seconds inside uandi.postprocess.refine_segments; every time the faster of two runs, each starting with cold caches.", "",
             f"| path and tracks | networks' inference (s) | likelihood stage, 1 process (s) | ratio | "
             f"likelihood stage, {a.threads} processes (s) | ratio |", "|---|---|---|---|---|---|"]
    for name, t_inf, t_one, t_lik in rows:
        lines.append(f"| {name} | {t_inf:.1f} | {t_one:.1f} | {t_one / t_inf:.1f} | {t_lik:.1f} | {t_lik / t_inf:.1f} |")
    body = "\n".join(lines)
    print(body)
    if a.write:
        write_block(a.write, "likelihood_speed", body)


if __name__ == "__main__":
    main()
