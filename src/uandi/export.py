"""Turn a training run folder into a shippable model: .safetensors + a JSON weight card.

The card records what a user needs to trust the file: the network config, class names, the training
data recipe, the compute used (device, hours, trajectory-passes), software versions, the validation
metrics and the file's sha256.
"""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

from .weights import read_weights, sha256


def export_run(run, out, note: str = "", extra: dict | None = None) -> Path:
    """Copy RUN/best.safetensors to `out` and write the card `out` with suffix .json."""
    import numpy
    import torch

    from . import __version__

    run, out = Path(run), Path(out)
    src = run / "best.safetensors"
    if not src.is_file():
        raise FileNotFoundError(f"{run} holds no best.safetensors; is it a finished `uandi train` run folder?")
    _, card = read_weights(src)
    config = json.loads((run / "config.json").read_text())
    log = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    last = log[-1]
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, out)
    full = {
        "name": out.stem,
        "task": card["config"]["task"],
        "classes": card["config"].get("classes", []),
        "config": card["config"],
        "training": {
            "recipe": config["train"],
            "best_step": card.get("training", {}).get("step"),
            "trajectory_passes": last["trajectories"],
            "hours": round(last["seconds"] / 3600.0, 3),
            "device": config.get("device", "cpu"),
            "world_size": config.get("world_size", 1),
        },
        "validation": card.get("validation", {}),
        "software": {"uandi": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
                     "python": platform.python_version()},
        "note": note,
        **(extra or {}),
        "file": out.name,
        "sha256": sha256(out),
        "bytes": out.stat().st_size,
    }
    out.with_suffix(".json").write_text(json.dumps(full, indent=2))
    return out
