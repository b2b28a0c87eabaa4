"""Weight files: the table of shipped networks, and reading, writing, resolving and checksumming files.

    path = resolve("alpha")                 # a shipped name, a .safetensors file or a training run folder
    state, card = read_weights(path)        # tensors and the JSON card
    write_weights(net, config, "mine.safetensors", card={"note": "..."})

A weights file is `.safetensors` (no pickle: loading never runs code) with the network config in its
metadata; beside it, `<name>.json` is its card (config, training recipe, validation metrics, tuned
post-processing, sha256). The shipped networks are the files in this folder, declared in `SHIPPED`.

Used by inference (`uandi.predict`), training (`uandi.train`) and export; imports neither torch nor
either of them, so resolving a name or reading a card stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from ..nn.registry import ModelConfig

__all__ = ["ALIASES", "SHIPPED", "ShippedNetwork", "default_network", "read_weights", "resolve", "sha256",
           "shipped_path", "trained_on", "write_weights"]


@dataclass(frozen=True)
class ShippedNetwork:
    """A network shipped with the package: the name users type and the files that hold it."""

    name: str  # uandi.load(name); named for what the network predicts
    file: str  # stem of its files in this folder: <file>.safetensors + <file>.json (kept when renamed)
    task: str  # "alpha" (exponent at every point) or "model" (diffusion model at every point)
    default_for: tuple  # the task selections (e.g. ("alpha", "model")) for which uandi.segment uses it
    summary: str  # what it predicts and what it learnt from, for listings and error messages
    pointwise: bool = True  # one output per point (segments tracks); False: one label per whole track


# The one table of shipped networks. A new network is one line here plus its two files; renaming one
# moves its old name to ALIASES.
SHIPPED = {net.name: net for net in (
    ShippedNetwork("alpha", "alpha", "alpha", (("alpha",),),
                   "anomalous exponent alpha at every point, trained on FBM segments (the paper's subtask 1); "
                   "the default when alpha runs alone (FBM assumed: the exact FBM likelihood picks its changepoints "
                   "and measures every segment)"),
    ShippedNetwork("alpha-fbm", "alpha", "alpha", (),
                   "the same network as alpha, by what it learnt from: FBM segments only (the paper's subtask 1); "
                   "the exact FBM likelihood chooses its changepoints"),
    ShippedNetwork("alpha-all", "alpha-all", "alpha", (("alpha", "model"),),
                   "anomalous exponent alpha at every point, trained on all five diffusion models (the subtask-2 "
                   "mix): the default beside the diffusion-model network, which says where the exact FBM and SBM "
                   "likelihoods replace it; trained with localization noise up to half the RMS step; it reads plain "
                   "Brownian motion low (about 0.89, the FBM network 1)"),
    ShippedNetwork("diffusion-model", "model", "model", (("model",), ("alpha", "model")),
                   "diffusion model at every point, ATTM, CTRW, FBM, LW or SBM (the paper's subtask 2), trained with "
                   "localization noise up to half the RMS step, as real tracks have"),
    ShippedNetwork("diffusion-model-clean", "model-clean", "model", (),
                   "the diffusion-model network before its noise stage (noise up to 0.1 of the RMS step): 0.014-0.022 "
                   "more accurate on noise-free simulations, surely wrong on noisy tracks (from 0.2 of the step)"),
    ShippedNetwork("trajectory-model", "trajectory-model", "model", (),
                   "diffusion model of a whole track or segment (the WADNet classifier the paper uses in Sec. V)",
                   pointwise=False),
)}
ALIASES = {"model": "diffusion-model"}  # old name -> current name; loading by an old name warns


def trained_on(card: dict) -> str | None:
    """What a network's training data simulated, from its card: "alpha" (FBM segments, the paper's
    subtask 1), "model" (the five-model mix; also for an alpha network trained on it), or None when the
    card does not say (then the network's own task). Reads a run's card (training.sim_task) and an
    exported one (training.recipe.sim_task)."""
    training = (card or {}).get("training") or {}
    return training.get("sim_task") or (training.get("recipe") or {}).get("sim_task")


def default_network(task: str, tasks=None) -> str:
    """Name of the shipped network uandi.segment uses for `task` ("alpha" or "model") when the tasks
    `tasks` run together (default: `task` alone). The alpha network differs: alone it is the FBM network
    (the paper's subtask 1, FBM assumed); beside the diffusion-model network it is the five-model one."""
    selection = tuple(t for t in ("alpha", "model") if t in (tasks or (task,)))
    for net in SHIPPED.values():
        if net.task == task and selection in net.default_for:
            return net.name
    raise ValueError(f"no shipped network is the default for task {task!r} with tasks {selection}")


def shipped_path(name: str) -> Path:
    """The .safetensors file of a shipped network (current name or old alias)."""
    if name in ALIASES:
        warnings.warn(f"the shipped network {name!r} is now called {ALIASES[name]!r}; the old name will be removed",
                      FutureWarning, stacklevel=4)  # points at the caller of uandi.load
        name = ALIASES[name]
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped network {name!r}; shipped: {', '.join(SHIPPED)}")
    path = Path(str(resources.files(__name__) / f"{SHIPPED[name].file}.safetensors"))
    if not path.is_file():
        raise FileNotFoundError(f"the shipped network {name!r} is missing from this installation ({path})")
    return path


def resolve(name_or_path) -> Path:
    """The .safetensors file meant by a shipped network's name, a file, or a training run folder."""
    if isinstance(name_or_path, str) and (name_or_path in SHIPPED or name_or_path in ALIASES):
        return shipped_path(name_or_path)
    path = Path(name_or_path)
    if path.is_dir():
        for candidate in ("best.safetensors", "model.safetensors"):
            if (path / candidate).is_file():
                return path / candidate
        raise FileNotFoundError(f"folder {path} holds no best.safetensors or model.safetensors")
    if path.suffix != ".safetensors" or not path.exists():
        raise ValueError(
            f"unknown network {name_or_path!r}: give a shipped network's name ({', '.join(SHIPPED)}), "
            "a .safetensors file or a training run folder"
        )
    return path


def sha256(path) -> str:
    """Hex SHA-256 of a file's bytes (recorded in every card)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_weights(net: torch.nn.Module, cfg: ModelConfig, path, card: dict | None = None) -> Path:
    """Write `path` (.safetensors, config in its metadata) and `path` with .json (the weight card)."""
    from safetensors.torch import save_file

    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(path), metadata={"uandi_config": json.dumps(cfg.to_dict())})
    full_card = {"config": cfg.to_dict(), **(card or {}), "file": path.name, "sha256": sha256(path),
                 "bytes": path.stat().st_size}
    path.with_suffix(".json").write_text(json.dumps(full_card, indent=2))
    return path


NEGLIGIBLE_WEIGHT = 1e-20  # |w| below this is set to 0 on loading, see _zero_negligible_weights


def _zero_negligible_weights(state: dict) -> None:
    """Set float weights with |w| < 1e-20 to exactly 0, in place.

    Weight decay drives unused weights towards 0 without reaching it; times small activations their
    products fall below float32's smallest normal number (1.2e-38), and CPU arithmetic on such subnormal
    numbers is very slow: the shipped diffusion-model network ran 3x slower on one thread. A weight 19
    orders of magnitude below the typical one (~0.1) is far below the float32 resolution of any sum it
    enters, so zeroing it changes no output.
    """
    for tensor in state.values():
        if tensor.is_floating_point():
            tensor[tensor.abs() < NEGLIGIBLE_WEIGHT] = 0.0


def read_weights(path) -> tuple[dict, dict]:
    """(state dict, card) of a .safetensors weights file; the card falls back to the file's metadata."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist")
    try:
        state = load_file(str(path))
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise ValueError(f"{path} is not a readable .safetensors weights file ({e}); "
                         "re-export or re-download it") from e
    _zero_negligible_weights(state)
    card_file = path.with_suffix(".json")
    card = json.loads(card_file.read_text()) if card_file.is_file() else {}
    if "config" not in card:
        if "uandi_config" not in meta:
            raise ValueError(f"{path} carries no uandi network config (no metadata, no {card_file.name})")
        card["config"] = json.loads(meta["uandi_config"])
    return state, card
