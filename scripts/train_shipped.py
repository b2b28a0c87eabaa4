"""Train the two shipped models (the recipe recorded in their cards) on a 2-core CPU.

    nohup python scripts/train_shipped.py alpha 6600 > runs/alpha-b8.log &
    nohup python scripts/train_shipped.py model 6600 > runs/model-b8.log &
    # second cosine cycle, from the first cycle's best weights:
    nohup python scripts/train_shipped.py alpha 6600 --cycle 2 > runs/alpha-b8-c2.log &
    nohup python scripts/train_shipped.py alpha 5400 --cycle 3 --steps 12000 > runs/alpha-b8-c3.log &
    nohup python scripts/train_shipped.py model 6600 --cycle 2 > runs/model-b8-c2.log &
    python -m uandi.cli export runs/alpha-b8-c2 --out src/uandi/weights/alpha.safetensors
    python -m uandi.cli export runs/model-b8-c2 --out src/uandi/weights/model.safetensors
    # alpha on all five models (the subtask-2 mix), warm-started from the FBM-only alpha network:
    nohup python scripts/train_shipped.py alpha-all 7800 > runs/alpha-all-b8.log &
    # the diffusion-model network on both simulator flavours (ours and andi-datasets'), warm-started:
    nohup python scripts/train_shipped.py model-mix 6600 > runs/model-mix-b8.log &
    python -m uandi.cli export runs/model-mix-b8 --out src/uandi/weights/model.safetensors
    nohup python scripts/train_shipped.py model-mix 2100 --cycle 2 > runs/model-mix-b8-c2.log &
    # then with ATTM's points weighted twice in the loss (the class both flavours confuse most):
    nohup python scripts/train_shipped.py model-attm 7200 --steps 3200 > runs/model-attm-b8.log &
    # the default alpha and diffusion-model networks, one more cycle with motion blur on 30 % of tracks:
    nohup python scripts/train_shipped.py alpha-all-blur 2400 > runs/alpha-all-blur-b8.log &
    nohup python scripts/train_shipped.py model-blur 3000 > runs/model-blur-b8.log &
    # then one cycle on long tracks only (400-600 points), for the accuracy at L = 500:
    nohup python scripts/train_shipped.py model-long 5400 > runs/model-long-b8.log &
    nohup python scripts/train_shipped.py model-long 2100 --cycle 2 > runs/model-long-b8-c2.log &
    nohup python scripts/train_shipped.py model-long 3600 --cycle 3 > runs/model-long-b8-c3.log &
    # the FBM-only alpha network (the likelihood's changepoint candidates), the same blur cycle:
    nohup python scripts/train_shipped.py alpha-fbm-blur 2400 > runs/alpha-fbm-blur-b8.log &
    # then with localization noise up to half the RMS step (real tracks' range, not just 0-0.1):
    nohup python scripts/train_shipped.py model-noise 3900 > runs/model-noise-b8.log &
    nohup python scripts/train_shipped.py alpha-all-noise 4200 > runs/alpha-all-noise-b8.log &
    nohup python scripts/train_shipped.py alpha-fbm-noise 3300 > runs/alpha-fbm-noise-b8.log &
    # a wider FBM alpha network (b = 16), from scratch, resumable across sessions:
    nohup python scripts/train_shipped.py alpha-wide 3600 > runs/alpha-wide-b16.log &
    # a wider diffusion-model network (b = 16) on both flavours, from scratch:
    nohup python scripts/train_shipped.py model-wide 4300 --steps 10000 > runs/model-wide-b16.log &
    nohup python scripts/train_shipped.py model-wide 4000 --cycle 2 --steps 9000 > runs/model-wide-b16-c2.log &
    nohup python scripts/train_shipped.py model-wide 4500 --cycle 3 --steps 9000 > runs/model-wide-b16-c3.log &
    nohup python scripts/train_shipped.py model-wide 5400 --cycle 4 --steps 12000 > runs/model-wide-b16-c4.log &
    # the five-model alpha network on both flavours, warm-started from the shipped alpha-all:
    nohup python scripts/train_shipped.py alpha-all-mix 3000 > runs/alpha-all-mix-b8.log &
    # then with some Brownian motion in the mix (alpha exactly 1 on 30 % of FBM and SBM segments):
    nohup python scripts/train_shipped.py alpha-all-bm 2400 > runs/alpha-all-bm-b8.log &
    python -m uandi.cli export runs/alpha-all-bm-b8 --out src/uandi/weights/alpha-all.safetensors
    # the WADNet trajectory classifier (one label per whole track), then shipped as "trajectory-model":
    nohup python scripts/train_shipped.py trajectory-model 1500 > runs/trajectory-model.log &
    python -m uandi.cli export runs/trajectory-model --out src/uandi/weights/trajectory-model.safetensors
    # then on both simulator flavours with motion blur on 30 % of tracks, from the shipped classifier:
    nohup python scripts/train_shipped.py trajectory-model-mix 1800 > runs/trajectory-model-mix.log &

Both run side by side with one torch thread each (2 cores). The second argument is a wall-time limit in
seconds; the run stops cleanly there and a restart with the same arguments continues it (resume=True),
so a run can span sessions.

Recipe, cycle 1: U-AnDi with symmetric WADNet encoders, width b = 8, scaled increments as input,
scale-free segments with a random step-size factor per segment (0.5-2, log-uniform, so step size
carries no information about alpha or the model), localization noise sigma_n uniform in [0, 0.1],
lengths 50-500 drawn per batch, batch 32, Adam with a cosine schedule (peak 2e-3, 5% warm-up), 16,000
steps (512,000 trajectories, each simulated on the fly and seen once).
Cycle 2: the same data recipe with fresh seeds, starting from cycle 1's best weights (its run folder's,
or the shipped file it became), a second cosine schedule with peak 1e-3 over another 16,000 steps (the
cycle-1 curves were still improving when the learning rate reached its floor); --steps N shortens the
cycle to what the time at hand allows. The FBM alpha network's cycle 3: peak 5e-4 from cycle 2's best (its
run folder's; without one, the shipped weights). Cycles 2 and 3 were run on 2026-12-01 and not shipped
(the product's accuracy did not move: docs/experiments.md).
alpha-all: the alpha network's architecture and data recipe, but every segment is one of the five models
(the subtask-2 mix, each model in its own alpha range, consecutive segments of different models), so
the exponent is learnt for ATTM, CTRW, LW and SBM too. Warm-started from the shipped FBM-only alpha
network, one cosine cycle (peak 1e-3) over 18,000 steps (576,000 trajectories).
model-mix: the model network's architecture and data recipe, but each segment is simulated with our
parametrisations or andi-datasets' (flavor ["uandi", "andi"], drawn per segment), so the network does
not learn one simulator's quirks (andi's truncated ATTM periods, whole-frame Levy flights, the
offset SBM path). Warm-started from the shipped diffusion-model network, one cosine cycle (peak 5e-4)
over 12,000 steps (384,000 trajectories); --cycle 2: 10,000 more steps from its best weights, peak 3e-4.
model-attm: model-mix's recipe with ATTM's points weighted 2 in the cross-entropy (ATTM is the class
both flavours get wrong most, mostly as SBM or CTRW), warm-started from the shipped diffusion-model
network, one cosine cycle (peak 2e-4) over 3,200 steps (what one session's background core allows).
model-wide: model-mix's data (both flavours) for a network of width b = 16 (four times the weights of
b = 8, half its throughput), trained from scratch: one cosine cycle (peak 2e-3) over 14,000 steps
(448,000 trajectories); run with --steps 10000 (1.2 h on one core beside other work) for the width
comparison of docs/experiments.md (the shipped b = 8 had 3.8 h in three stages). --cycle 2: peak 1e-3
from cycle 1's best; --cycle 3: peak 5e-4 from cycle 2's best (fresh seeds each cycle).
alpha-wide: the FBM alpha network's cycle-1 recipe at width b = 16, from scratch (16,000 steps, peak
2e-3): the shipped b = 8 stopped gaining from more cycles (docs/experiments.md), so capacity is next.
alpha-all-mix: alpha-all's recipe on both flavours, warm-started from the shipped alpha-all network,
one cosine cycle (peak 5e-4) over 10,000 steps (320,000 trajectories).
alpha-all-bm: alpha-all-mix's recipe with brownian_share 0.3 (alpha exactly 1 on 30 % of the FBM and SBM
segments, about 12 % of all segments: real tracks are often Brownian, uniform alphas never are),
warm-started from alpha-all-mix's best weights, one cosine cycle (peak 3e-4) over 7,000 steps.
alpha-all-blur / model-blur: the shipped alpha-all / diffusion-model network, one more cosine cycle
(peak 3e-4; 7,000 / 10,000 steps, the last stage of each) on its own last recipe's data with motion
blur on 30 % of the trajectories (sim_options blur_share 0.3: the camera's exposure uniform in
[0.001, 1] of the frame interval, uandi.simulate.blur), so that a microscope's blur is not read as
super-diffusion or as another model. Validated without blur, as every recipe.
model-long: model-blur's data (both flavours, blur on 30 %) on tracks of 400-600 points only (the
other recipes draw 50-500, so about a sixth of their points lie in tracks shorter than 200), from the
shipped diffusion-model network, one cosine cycle (peak 2e-4) over 9,000 steps: does more long-range
context per batch lift the point accuracy at L = 500 (issue 10's target)? --cycle 2: back to lengths
50-500 for 6,000 steps (peak 1e-4) from its best weights, to win back L = 200. See docs/experiments.md.
--cycle 3: one stage on lengths 200-600 (7,000 steps, peak 1.5e-4) from the shipped network (which is
cycle 2): does a length draw that leans long, without the short tracks' drop, give the long stage's gain
at L = 500 without its loss at L = 200? A smaller trade of the same kind (2026-12-03): not shipped.
Its second cycle is the shipped diffusion-model network since 2026-12-03; to repeat model-long, put
model-blur's weights back first (git show fc53244:src/uandi/weights/model.safetensors, with its card).
Run from the shipped network instead (model-long 2900 --steps 7000, 2026-12-03), cycle 1 is a long-track
specialist that a length-routed product could use: +0.001 to +0.005 at L = 500, -0.004 to -0.007 at L = 200;
not worth a second network (docs/experiments.md).
model-noise: the shipped diffusion-model network, one cosine cycle (peak 3e-4, 8,000 steps) on model-blur's
data with localization noise sigma_n uniform in [0, 0.5] of the RMS step instead of [0, 0.1]: trained on
at most 0.1, it called noisy tracks' classes surely and wrongly (at noise 0.3, L = 500: point accuracy
0.62 against 0.88, 16 % of points wrong at probability >= 0.85 against 1.6 %, LW read as FBM 68 % of the
time), and real tracks often carry 0.2-0.5 (benchmarks/noise_robustness.py).
alpha-all-noise: the same noise stage for the shipped alpha-all network (8,000 steps, peak 3e-4, its own
last recipe's data: both flavours, 30 % Brownian FBM/SBM, blur on 30 %, noise 0-0.5 instead of 0-0.1): its
point-wise MAE at L = 500 had grown from 0.18 without noise to 0.30 at noise 0.5, SBM's from 0.19 to 0.48.
Shipped 2026-12-03, with its changepoint rule then tuned beside the diffusion-model network
(benchmarks/tune_postprocess.py --weights alpha-all --beside diffusion-model --n 1000 --write-card).
alpha-fbm-noise: the same noise stage for the FBM-only alpha network (8,000 steps from the shipped file, peak
3e-4, its own cycle-1 data with noise 0-0.5): with --tasks alpha its point-wise alpha proposes the
likelihood's changepoints, and on andi-datasets' switching tracks with noise 0.3 (docs/phenom.md) F1 fell from
0.74-0.77 to 0.70-0.72. Started 2026-12-03 (resumable: the same command continues it); not yet evaluated.
alpha-fbm-blur: the same cycle (7,000 steps, peak 3e-4, blur on 30 % of tracks) for the FBM-only alpha
network on its own cycle-1 data, to test whether its changepoint candidates were why the likelihood's F1
falls on blurred FBM (0.87 -> 0.82 at L = 500 with the exposure given). They were not: not shipped
(docs/experiments.md).
trajectory-model: the WADNet classifier (preset wadnet-model: gated dilated encoder with 32 filters,
3-layer LSTM with 64 units, the last state to 5 logits) on single-model trajectories of the five models
(scale-free, each model in its own alpha range), lengths 10-1000 drawn log-uniformly per batch (as many
of 10-100 points, the short real tracks the paper labels, as of 100-1000; 10 is the shortest segment
U-AnDi reports), localization noise sigma_n uniform in [0, 0.2], batch 64, Adam with a cosine schedule
(peak 2e-3), 7,000 steps (448,000 trajectories), validated on 1,000 trajectories at L = 50, 200, 500.
trajectory-model-mix: the shipped classifier, one more cosine cycle (peak 5e-4, 4,000 steps) on the same
data with each track simulated by our parametrisations or andi-datasets' (flavor drawn per track) and
motion blur on 30 % of the tracks: trained on our flavour alone, it had labelled andi-flavoured ATTM
tracks of 200 points right 66 % of the time (ours 84 %) and fully blurred SBM 62 % (ours 90 %)
(docs/classifier.md). It starts from the shipped file, which is now its own result: to repeat it, put the
first stage back first (git show 95bcd1e:src/uandi/weights/trajectory-model.safetensors), as for the
other one-cycle stages above.
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from uandi.train import TrainConfig, train


SHIPPED_FROM = {"alpha": "alpha", "model": "model", "model-mix": "model"}  # cycle 1's run -> the shipped file it became


def _cycle_one_best(task: str, width: int = 8) -> str:
    """Cycle 1's best weights: its run folder's if it is here, else the shipped file it was exported to
    (a fresh clone has no runs/, and the shipped networks are cycle 1's best)."""
    run = Path(f"runs/{task}-b{width}/best.safetensors")
    if run.exists() or task not in SHIPPED_FROM:
        return str(run)
    return f"src/uandi/weights/{SHIPPED_FROM[task]}.safetensors"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("task", choices=["alpha", "model", "alpha-all", "model-mix", "model-attm", "model-wide",
                                     "alpha-wide", "alpha-all-mix", "alpha-all-bm", "alpha-all-blur",
                                     "model-blur", "model-long", "model-noise", "alpha-all-noise", "alpha-fbm-noise",
                                     "alpha-fbm-blur",
                                     "trajectory-model",
                                     "trajectory-model-mix"])
    ap.add_argument("limit", type=float, help="wall-time limit in seconds")
    ap.add_argument("--cycle", type=int, choices=[1, 2, 3, 4], default=1)
    ap.add_argument("--steps", type=int, help="length of the cosine cycle (default: the recipe's)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.task in ("trajectory-model", "trajectory-model-mix"):
        cfg = TrainConfig(preset="wadnet-model", steps=7000, batch_size=64, lr=2e-3, schedule="cosine",
                          lengths=(10, 1000), length_draw="log", noise=(0.0, 0.2),
                          sim_options={"n_segments": (1, 1)}, val_n=1000, val_lengths=(50, 200, 500),
                          val_every=500, seed=21, time_limit=a.limit)
        if a.task == "trajectory-model-mix":  # both flavours and blur, from the shipped classifier
            cfg = replace(cfg, steps=4000, lr=5e-4, seed=23, init_from="src/uandi/weights/trajectory-model.safetensors",
                          sim_options={"n_segments": (1, 1), "flavor": ["uandi", "andi"], "blur_share": 0.3})
        train(cfg, f"runs/{a.task}", resume=True, progress=lambda s, r: print(json.dumps(r), flush=True))
        return
    seed = {"alpha": 1, "model": 2, "alpha-all": 11, "model-mix": 31, "model-attm": 61, "model-wide": 71,
            "alpha-wide": 81, "alpha-all-mix": 41, "alpha-all-bm": 51, "alpha-all-blur": 91,
            "model-blur": 101, "alpha-fbm-blur": 111, "model-long": 121, "model-noise": 131,
            "alpha-all-noise": 141, "alpha-fbm-noise": 151}[a.task] + 2 * (a.cycle - 1)
    stage = {"lr": 2e-3} if a.cycle == 1 else {"lr": 1e-3, "init_from": _cycle_one_best(a.task)}
    steps = 16000
    if a.task == "alpha" and a.cycle == 3:  # a gentler third schedule from cycle 2's best
        run = Path("runs/alpha-b8-c2/best.safetensors")
        stage = {"lr": 5e-4, "init_from": str(run) if run.exists() else "src/uandi/weights/alpha.safetensors"}
    if a.task == "alpha-all":
        steps = 18000
        stage = {"lr": 1e-3, "init_from": "src/uandi/weights/alpha.safetensors", "sim_task": "model"}
    sim_options = {"diffusion_factor": [0.5, 2.0]}
    if a.task == "model-mix":
        steps = 12000
        stage = {"lr": 5e-4, "init_from": "src/uandi/weights/model.safetensors"}
        if a.cycle == 2:  # a second cycle from the first's best weights
            steps, stage = 10000, {"lr": 3e-4, "init_from": _cycle_one_best("model-mix")}
        sim_options["flavor"] = ["uandi", "andi"]
    if a.task == "model-attm":
        steps = 3200
        stage = {"lr": 2e-4, "init_from": "src/uandi/weights/model.safetensors",
                 "class_weights": (2.0, 1.0, 1.0, 1.0, 1.0)}  # MODELS order: ATTM first
        sim_options["flavor"] = ["uandi", "andi"]
    width = 8
    if a.task == "model-wide":
        steps, width = 14000, 16
        sim_options["flavor"] = ["uandi", "andi"]
        if a.cycle == 2:  # from cycle 1's best, as the b = 8 networks' second cycle
            stage = {"lr": 1e-3, "init_from": _cycle_one_best("model-wide", 16)}
        if a.cycle == 3:  # from cycle 2's best, a gentler third schedule
            stage = {"lr": 5e-4, "init_from": "runs/model-wide-b16-c2/best.safetensors"}
        if a.cycle == 4:  # from cycle 3's best (val mDice still rising at its end), gentler again
            stage = {"lr": 3e-4, "init_from": "runs/model-wide-b16-c3/best.safetensors"}
    if a.task == "alpha-wide":
        width = 16
    if a.task == "alpha-all-mix":
        steps = 10000
        stage = {"lr": 5e-4, "init_from": "src/uandi/weights/alpha-all.safetensors", "sim_task": "model"}
        sim_options["flavor"] = ["uandi", "andi"]
    if a.task == "alpha-all-bm":
        steps = 7000
        stage = {"lr": 3e-4, "init_from": "runs/alpha-all-mix-b8/best.safetensors", "sim_task": "model"}
        sim_options.update(flavor=["uandi", "andi"], brownian_share=0.3)
    if a.task == "alpha-all-blur":
        steps = 7000
        stage = {"lr": 3e-4, "init_from": "src/uandi/weights/alpha-all.safetensors", "sim_task": "model"}
        sim_options.update(flavor=["uandi", "andi"], brownian_share=0.3, blur_share=0.3)
    if a.task == "model-blur":
        steps = 10000
        stage = {"lr": 3e-4, "init_from": "src/uandi/weights/model.safetensors"}
        sim_options.update(flavor=["uandi", "andi"], blur_share=0.3)
    lengths = (50, 500)
    if a.task == "model-long":
        steps, lengths = 9000, (400, 600)
        stage = {"lr": 2e-4, "init_from": "src/uandi/weights/model.safetensors"}
        sim_options.update(flavor=["uandi", "andi"], blur_share=0.3)
        if a.cycle == 2:  # back to every length (50-500), gently, from the long cycle's best
            steps, lengths = 6000, (50, 500)
            stage = {"lr": 1e-4, "init_from": _cycle_one_best(a.task)}
        if a.cycle == 3:  # long-leaning lengths (200-600) in one stage, from the shipped (cycle-2) network
            steps, lengths = 7000, (200, 600)
            stage = {"lr": 1.5e-4, "init_from": "src/uandi/weights/model.safetensors"}
    noise = (0.0, 0.1)
    if a.task == "model-noise":  # localization noise up to half the RMS step, as real tracks have
        steps, noise = 8000, (0.0, 0.5)
        stage = {"lr": 3e-4, "init_from": "src/uandi/weights/model.safetensors"}
        sim_options.update(flavor=["uandi", "andi"], blur_share=0.3)
    if a.task == "alpha-all-noise":  # the same noise stage for the five-model alpha network
        steps, noise = 8000, (0.0, 0.5)
        stage = {"lr": 3e-4, "init_from": "src/uandi/weights/alpha-all.safetensors", "sim_task": "model"}
        sim_options.update(flavor=["uandi", "andi"], brownian_share=0.3, blur_share=0.3)
    if a.task == "alpha-fbm-noise":  # the FBM network (the likelihood's changepoint candidates), the same stage
        steps, noise = 8000, (0.0, 0.5)
        stage = {"lr": 3e-4, "init_from": "src/uandi/weights/alpha.safetensors"}
    if a.task == "alpha-fbm-blur":
        steps = 7000
        stage = {"lr": 3e-4, "init_from": "src/uandi/weights/alpha.safetensors"}
        sim_options["blur_share"] = 0.3
    steps = a.steps or steps
    preset = {"alpha-all": "small-alpha", "model-mix": "small-model", "model-attm": "small-model",
              "model-wide": "small-model", "alpha-wide": "small-alpha", "alpha-all-mix": "small-alpha",
              "alpha-all-bm": "small-alpha", "alpha-all-blur": "small-alpha", "model-blur": "small-model",
              "model-long": "small-model", "model-noise": "small-model", "alpha-all-noise": "small-alpha",
              "alpha-fbm-noise": "small-alpha", "alpha-fbm-blur": "small-alpha"
              }.get(a.task, f"small-{a.task}")
    cfg = TrainConfig(preset=preset, model_overrides={"width": width}, steps=steps, batch_size=32,
                      schedule="cosine", lengths=lengths, noise=noise,
                      sim_options=sim_options, val_n=1000, val_lengths=(200, 500),
                      val_every=1000, seed=seed, time_limit=a.limit, **stage)
    out = f"runs/{a.task}-b{width}" + ("" if a.cycle == 1 else f"-c{a.cycle}")
    train(cfg, out, resume=True, progress=lambda s, r: print(json.dumps(r), flush=True))


if __name__ == "__main__":
    main()
