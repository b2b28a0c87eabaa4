"""scripts/train_gpu.py on a CPU, tiny: the GPU recipe's whole path (calibration, schedule sized to the
wall time, training, weights + card) runs and gives a loadable network."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import uandi

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_recipe_runs_tiny_on_cpu(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_gpu.py"), "alpha-all", "--tiny", "--out",
                           str(out)], capture_output=True, text=True, timeout=300,
                          env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    first = json.loads(proc.stdout.splitlines()[0])
    assert first["device"] == "cpu" and first["steps"] >= 10 and first["seconds_per_step"] > 0
    card = json.loads((out / "best.json").read_text())
    assert card["training"]["sim_task"] == "model" and card["training"]["model_overrides"] == {"width": 4}
    # the shipped alpha-all's data: both simulator flavours, Brownian segments and motion blur
    assert card["training"]["sim_options"] == {"diffusion_factor": [0.5, 2.0], "flavor": ["uandi", "andi"],
                                               "brownian_share": 0.3, "blur_share": 0.3}
    net = uandi.load(out / "best.safetensors", device="cpu")
    x = uandi.simulate.dataset("model", 2, 60, np.random.default_rng(0)).x
    assert net.task == "alpha" and net.predict(x).shape == (2, 60)
