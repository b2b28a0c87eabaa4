"""Train the two shipped models (the recipe recorded in their cards) on a 2-core CPU.

    nohup python scripts/train_shipped.py alpha 6600 > runs/alpha-b8.log &
    nohup python scripts/train_shipped.py model 6600 > runs/model-b8.log &
    python -m uandi.cli export runs/alpha-b8 --out src/uandi/weights/alpha.safetensors
    python -m uandi.cli export runs/model-b8 --out src/uandi/weights/model.safetensors

Both run side by side with one torch thread each (2 cores). The second argument is a wall-time limit in
seconds; the run stops cleanly there and `--resume`-style restarts continue it (resume=True below), so a
run can span sessions. Recipe: U-AnDi with symmetric WADNet encoders, width b = 8, scaled increments
as input, scale-free segments with a random step-size factor per segment (0.5-2, log-uniform, so step
size carries no information about alpha or the model), localization noise sigma_n uniform in [0, 0.1],
lengths 50-500 drawn per batch, batch 32, Adam with a cosine schedule (peak 2e-3, 5% warm-up), 16,000
steps (512,000 trajectories, each simulated on the fly and seen once).
"""

import json
import sys

import torch

from uandi.train import TrainConfig, train


def main() -> None:
    task, limit = sys.argv[1], float(sys.argv[2])
    torch.set_num_threads(1)
    cfg = TrainConfig(preset=f"small-{task}", model_overrides={"width": 8}, steps=16000, batch_size=32, lr=2e-3,
                      schedule="cosine", lengths=(50, 500), noise=(0.0, 0.1),
                      sim_options={"diffusion_factor": [0.5, 2.0]}, val_n=1000, val_lengths=(200, 500),
                      val_every=1000, seed=1 if task == "alpha" else 2, time_limit=limit)
    train(cfg, f"runs/{task}-b8", resume=True, progress=lambda s, r: print(json.dumps(r), flush=True))


if __name__ == "__main__":
    main()
