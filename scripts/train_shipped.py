import sys, json, torch
from uandi.train import TrainConfig, train
task = sys.argv[1]
torch.set_num_threads(1)
cfg = TrainConfig(preset=f"small-{task}", model_overrides={"width": 8}, steps=16000, batch_size=32, lr=2e-3,
                  schedule="cosine", lengths=(50, 500), noise=(0.0, 0.1),
                  sim_options={"diffusion_factor": [0.5, 2.0]}, val_n=1000, val_lengths=(200, 500),
                  val_every=1000, seed=1 if task == "alpha" else 2, time_limit=float(sys.argv[2]))
train(cfg, f"runs/{task}-b8", resume=True, progress=lambda s, r: print(json.dumps(r), flush=True))
