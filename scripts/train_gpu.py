"""Train a wider U-AnDi on one CUDA card for a fixed wall time, with CPU workers simulating the data.

    python scripts/train_gpu.py alpha-all --minutes 8 --width 32 --workers 15 --out runs/gpu-alpha-all
    python scripts/train_gpu.py model --minutes 8 --width 32 --out runs/gpu-model
    python scripts/train_gpu.py alpha --tiny --out /tmp/gpu-tiny          # the same path on a CPU, seconds
    python -m uandi.cli export runs/gpu-alpha-all --out my_alpha.safetensors   # weights + card

The recipe is the shipped CPU recipe (scripts/train_shipped.py: symmetric encoders, scaled increments,
scale-free segments with a step-size factor 0.5-2, localization noise 0-0.1, lengths 50-500; for
alpha-all and model, as their shipped networks' last stages: segments of both simulator flavours and
motion blur on 30 % of the tracks, and for alpha-all plain Brownian motion on 30 % of the FBM and SBM
segments) at a width
the card can afford, bfloat16 autocast, batch 256, and a cosine schedule sized to the wall time: a short
calibration (20 steps after a warm-up) measures the step time, and the number of steps is set so that
the schedule ends inside the time limit (the limit also stops the run cleanly if the card slows down).
Tasks: alpha (FBM only, the paper's subtask 1), alpha-all (alpha on all five models), model (subtask 2).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from uandi.data.stream import StreamConfig, simulate_batch
from uandi.nn.registry import build_model
from uandi.train import TrainConfig, loss_fn, train

TASKS = {"alpha": ("small-alpha", None), "alpha-all": ("small-alpha", "model"), "model": ("small-model", None)}
# the data of each shipped network's last stage (scripts/train_shipped.py: alpha, alpha-all-blur, model-blur)
SIM_OPTIONS = {
    "alpha": {"diffusion_factor": [0.5, 2.0]},
    "alpha-all": {"diffusion_factor": [0.5, 2.0], "flavor": ["uandi", "andi"], "brownian_share": 0.3, "blur_share": 0.3},
    "model": {"diffusion_factor": [0.5, 2.0], "flavor": ["uandi", "andi"], "blur_share": 0.3},
}


def calibrate(cfg: TrainConfig, device: torch.device, steps: int = 20) -> float:
    """Seconds per optimiser step of this config on this device (forward, backward, update; data
    simulated in the main process is excluded, since the workers overlap it)."""
    mcfg = cfg.model_config()
    net = build_model(mcfg).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    scfg = StreamConfig(mcfg.task, cfg.batch_size, (max(cfg.lengths), max(cfg.lengths)), (0.0, 0.0),
                        mcfg.representation, dict(cfg.sim_options), mcfg.classes, cfg.sim_task)
    feats, target = simulate_batch(scfg, np.random.default_rng(0))  # the longest batch: an upper bound
    feats, target = feats.to(device), target.to(device)
    use_amp = cfg.amp and device.type == "cuda"

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = net(feats)
        loss = loss_fn(mcfg.task, logits, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up (kernel selection, allocator)
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.time()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.time() - t) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("--minutes", type=float, default=8.0, help="wall time of the training, minutes")
    ap.add_argument("--width", type=int, default=32, help="U-AnDi base width b (paper: 64 / 128)")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--workers", type=int, default=15, help="DataLoader processes simulating batches")
    ap.add_argument("--init-from", help="start from these weights, e.g. a shipped network's .safetensors")
    ap.add_argument("--tiny", action="store_true", help="a seconds-long CPU check of the whole path")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    preset, sim_task = TASKS[a.task]
    device = torch.device("cuda" if torch.cuda.is_available() and not a.tiny else "cpu")
    if a.tiny:
        a.width, a.batch_size, a.workers, a.minutes = 4, 8, 0, 0.1
    common = dict(preset=preset, model_overrides={"width": a.width}, batch_size=a.batch_size, lr=a.lr,
                  schedule="cosine", lengths=(50, 500) if not a.tiny else (50, 80), noise=(0.0, 0.1),
                  sim_options=dict(SIM_OPTIONS[a.task]), sim_task=sim_task,
                  val_n=1000 if not a.tiny else 16, val_lengths=(200, 500) if not a.tiny else (60,),
                  seed=101, workers=a.workers, device=device.type, amp=device.type == "cuda",
                  init_from=a.init_from)
    seconds = 60 * a.minutes
    per_step = calibrate(TrainConfig(steps=1, **common), device, steps=3 if a.tiny else 20)
    # validations cost about 2 % of the time at val_every = steps / 10; keep 10 % headroom
    steps = max(10, int(0.85 * seconds / per_step))
    cfg = TrainConfig(steps=steps, val_every=max(1, steps // 10), time_limit=seconds, **common)
    print(json.dumps({"device": str(device), "seconds_per_step": round(per_step, 4), "steps": steps,
                      "card": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}), flush=True)
    record = train(cfg, a.out, progress=lambda s, r: print(json.dumps(r), flush=True))
    print(json.dumps({"done": True, "best": record.get("best"), "weights": f"{a.out}/best.safetensors"}), flush=True)


if __name__ == "__main__":
    main()
