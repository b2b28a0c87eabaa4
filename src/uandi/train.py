"""One training loop for every network and both tasks; one CPU, one GPU or many (DDP).

Single process (CPU or one GPU):
    uandi train --preset small-alpha --steps 5000 --out runs/alpha
Several processes (GPUs, or CPU processes with the gloo backend), one node:
    torchrun --standalone --nproc_per_node 4 -m uandi.cli train --preset paper-model --out runs/model
DDP is detected from the RANK / WORLD_SIZE variables that torchrun sets; only rank 0 validates, logs and
saves. Each rank reads its own on-the-fly stream (seeded by (seed, rank, step)) or its own slice of a
fixed dataset folder.

A run folder holds: config.json, metrics.jsonl (one line per validation), curves.png, last.pt (resume
point: weights, optimiser, schedule, step), best.pt and best.safetensors + best.json (the best
validation metric so far). Killing the process loses at most `val_every` steps: `--resume` continues
from last.pt with the same data stream.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import metrics
from .constants import MODELS
from .data.normalize import network_input
from .data.stream import StreamConfig, options_for_length, simulate_batch, targets_for
from .nn.device import resolve_device
from .nn.registry import ModelConfig, build_model, count_parameters, preset
from .postprocess import clip_alpha
from .simulate.compose import dataset as simulate_dataset
from .weights import read_weights, write_weights


@dataclass(frozen=True)
class TrainConfig:
    preset: str = "small-alpha"  # network preset, see uandi.nn.PRESETS
    model_overrides: dict = field(default_factory=dict)  # e.g. {"width": 8, "causal": True}
    steps: int = 2000  # optimiser steps
    batch_size: int = 64  # trajectories per step and rank (paper: 512)
    lr: float = 1e-3  # peak learning rate (paper: Adam 2e-4, constant)
    schedule: str = "cosine"  # "constant" or "cosine" (5% linear warm-up, cosine decay to 1%)
    weight_decay: float | None = None  # None: the paper's choice, 0 for alpha, 2e-5 for model
    lengths: tuple = (200, 200)  # (min, max) training length in points, drawn per batch
    length_draw: str = "uniform"  # how the length is drawn: "uniform" or "log" (log-uniform: short ones as often)
    noise: tuple = (0.0, 0.0)  # (min, max) localization noise sigma_n per trajectory
    sim_options: dict = field(default_factory=dict)  # uandi.simulate.dataset options (scale, ...)
    sim_task: str | None = None  # simulated data if not the network's task: "model" = alpha on all five models
    data: str | None = None  # a dataset folder (fixed data) instead of the on-the-fly stream
    val_n: int = 1000  # fixed validation set size
    val_lengths: tuple = (200,)  # validation lengths; the metric is their mean
    val_every: int = 200  # steps between validations and checkpoints
    val_seed: int = 987654321  # validation data never overlaps the training stream (other seed)
    seed: int = 0
    workers: int = 0  # DataLoader workers simulating batches in parallel
    device: str = "auto"  # "auto", "cpu", "cuda"
    amp: bool = False  # bfloat16 autocast on GPU
    init_from: str | None = None  # transfer learning: start from these weights (head replaced if needed)
    time_limit: float | None = None  # seconds; stop cleanly (checkpoint written) after this long
    class_weights: tuple | None = None  # task model: training-loss weight per class (order of the classes)

    def model_config(self) -> ModelConfig:
        return preset(self.preset, **self.model_overrides)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        tuples = {"lengths", "noise", "val_lengths", "class_weights"}
        return cls(**{k: (tuple(v) if k in tuples else v) for k, v in d.items()})


def trajectory_targets(target: torch.Tensor | np.ndarray):
    """The label of each whole trajectory, (B,), from point-wise targets (B, L): a trajectory-level
    network (the WADNet classifier) learns from single-model trajectories, whose points all carry the
    trajectory's label; the last point's is taken."""
    return target[:, -1]


def loss_fn(task: str, logits: torch.Tensor, target: torch.Tensor,
            class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """MSE on alpha (logits (B, 1, L)) or cross-entropy on classes (logits (B, C, L)), optionally weighted
    per class (class_weights (C,): a class the network confuses counts more; the mean is then over the
    weights, as torch's weighted cross-entropy takes it); a trajectory-level network's logits
    (B, n_outputs) are scored against trajectory_targets(target)."""
    if logits.dim() == 2:
        logits, target = logits[:, :, None], trajectory_targets(target)[:, None]  # (B, n_outputs, 1), (B, 1)
    if task == "alpha":
        return F.mse_loss(logits[:, 0].float(), target)
    return F.cross_entropy(logits.float(), target, weight=class_weights)


def lr_factor(schedule: str, step: int, total: int) -> float:
    if schedule == "constant":
        return 1.0
    warm = max(1, int(0.05 * total))
    if step < warm:
        return (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm))
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))


def make_validation_set(cfg: TrainConfig, mcfg: ModelConfig) -> list:
    """Fixed seeded validation data, one (features (N, C, L), targets (N, L)) pair per validation length,
    normalised once for all validations. Without motion blur even when training has some (sim_options
    "blur_share"): the best weights are those that read instantaneous frames best, and validation values
    stay comparable across recipes."""
    sets = []
    for i, length in enumerate(cfg.val_lengths):
        rng = np.random.default_rng([cfg.val_seed, i])
        noise = rng.uniform(cfg.noise[0], cfg.noise[1], cfg.val_n) if cfg.noise[1] > 0 else 0.0
        opts = options_for_length(cfg.sim_options, int(length))
        opts.pop("blur_share", None)
        d = simulate_dataset(cfg.sim_task or mcfg.task, cfg.val_n, int(length), rng, noise=noise, **opts)
        feats = torch.from_numpy(network_input(d.x, mcfg.representation))  # (N, C, L)
        sets.append((feats, targets_for(mcfg.task, d.alpha, d.model, mcfg.classes or MODELS)))
    return sets


def validation_metric(task: str, pred: np.ndarray, target: np.ndarray, n_classes: int) -> float:
    """The metric that picks the best weights, from uandi.metrics as every benchmark scores it: MAE of
    the clipped alpha (task alpha, pred and target (N, L)), or mDice of the class indices (task model);
    points whose target is -100 (a model outside the network's classes, ignored by the loss as well)
    are left out. A trajectory-level network's pred is (N,): each trajectory is scored as one point
    (mDice is then the accuracy over trajectories)."""
    if pred.ndim == 1:
        pred, target = pred[:, None], trajectory_targets(target)[:, None]  # (N, 1) each
    if task == "alpha":
        return metrics.mae(clip_alpha(pred), target)
    kept = [(p[t >= 0], t[t >= 0]) for p, t in zip(pred, target) if (t >= 0).any()]
    return metrics.mdice([p for p, _ in kept], [t for _, t in kept], n_classes=n_classes)


@torch.no_grad()
def evaluate_network(net, mcfg: ModelConfig, val_sets: list, device, batch: int = 256) -> dict:
    """Validation loss and metric (see validation_metric: MAE, lower is better, or mDice, higher is
    better), averaged over the validation lengths."""
    net.eval()
    losses, scores = [], []
    for feats_all, target_all in val_sets:
        tot_loss, preds = 0.0, []
        for s in range(0, len(feats_all), batch):
            feats, target = feats_all[s : s + batch].to(device), target_all[s : s + batch].to(device)
            logits = net(feats)  # (B, n_outputs, L), or (B, n_outputs) for a trajectory-level network
            tot_loss += loss_fn(mcfg.task, logits, target).item() * len(feats)
            pred = logits[:, 0] if mcfg.task == "alpha" else logits.argmax(1)  # (B, L) or (B,)
            preds.append(pred.cpu().numpy())
        losses.append(tot_loss / len(feats_all))
        scores.append(validation_metric(mcfg.task, np.concatenate(preds), target_all.numpy(), mcfg.n_outputs))
    net.train()
    return {"val_loss": float(np.mean(losses)), "val_metric": float(np.mean(scores)),
            "val_metric_per_length": [round(m, 5) for m in scores]}


class FixedBatches:
    """Batches from a dataset folder: a seeded permutation per epoch, rank r takes every world-th
    trajectory, resumable from any step. Items come from the fixed-set torch Dataset."""

    def __init__(self, path, cfg: TrainConfig, mcfg: ModelConfig, rank: int, world: int):
        from .data.stream import FixedDataset

        self.items = FixedDataset(path, mcfg.representation, classes=mcfg.classes or MODELS)
        if self.items.task != mcfg.task:
            raise ValueError(f"dataset {path} is for task {self.items.task!r} but the network is for {mcfg.task!r}")
        self.cfg, self.rank, self.world = cfg, rank, world
        self.per_epoch = len(self.items) // (cfg.batch_size * world)
        if self.per_epoch < 1:
            raise ValueError(f"dataset {path} has {len(self.items)} trajectories, fewer than one batch per rank")

    def batch(self, step: int):
        epoch, k = divmod(step, self.per_epoch)
        perm = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(self.items))
        start = (k * self.world + self.rank) * self.cfg.batch_size
        feats, targets = zip(*(self.items[int(i)] for i in np.sort(perm[start : start + self.cfg.batch_size])))
        return torch.stack(feats), torch.stack(targets)  # (B, C, L), (B, L)


def _stream_iterator(cfg: TrainConfig, mcfg: ModelConfig, rank: int, start: int):
    scfg = StreamConfig(mcfg.task, cfg.batch_size, tuple(cfg.lengths), tuple(cfg.noise), mcfg.representation,
                        dict(cfg.sim_options), mcfg.classes or MODELS, cfg.sim_task, cfg.length_draw)
    if cfg.workers > 0:
        from torch.utils.data import DataLoader

        from .data.stream import SimStream

        loader = DataLoader(SimStream(scfg, cfg.seed, rank, start), batch_size=None, num_workers=cfg.workers,
                            persistent_workers=False, prefetch_factor=2)
        yield from loader
    else:
        step = start
        while True:
            yield simulate_batch(scfg, np.random.default_rng([cfg.seed, rank, step]))
            step += 1


def load_initial_weights(net, path: str, mcfg: ModelConfig) -> list:
    """Transfer learning: copy every tensor whose name and shape match; returns the names left fresh
    (e.g. the head when going from 5 to 2 classes)."""
    state, _ = read_weights(path)
    own = net.state_dict()
    fresh = [k for k in own if k not in state or state[k].shape != own[k].shape]
    own.update({k: v for k, v in state.items() if k in own and v.shape == own[k].shape})
    net.load_state_dict(own)
    return fresh


def plot_curves(log: list, task: str, path: Path) -> None:
    """Loss and validation metric against trajectories seen (paper Fig. 3)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seen = [r["trajectories"] for r in log]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4))
    a.plot(seen, [r["train_loss"] for r in log], label="train")
    a.plot(seen, [r["val_loss"] for r in log], label="validation")
    a.set_xlabel("trajectories seen")
    a.set_ylabel("MSE loss" if task == "alpha" else "cross-entropy")
    a.set_yscale("log")
    a.legend()
    b.plot(seen, [r["val_metric"] for r in log], color="C2")
    b.set_xlabel("trajectories seen")
    b.set_ylabel("validation MAE" if task == "alpha" else "validation mDice")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train(cfg: TrainConfig, out, resume: bool = False, progress=None) -> dict:
    """Train a network; returns the final log record. `progress(step, record)` is called after each
    validation (the CLI prints there; the library does not)."""
    out = Path(out)
    mcfg = cfg.model_config()
    if mcfg.trajectory_level and tuple(np.atleast_1d(cfg.sim_options.get("n_segments", 0))) not in ((1,), (1, 1)):
        raise ValueError(f"{mcfg.arch} gives one label per trajectory: train it on single-model trajectories, "
                         "sim_options={'n_segments': (1, 1)}")
    if cfg.class_weights is not None and (mcfg.task != "model" or len(cfg.class_weights) != mcfg.n_outputs
                                          or min(cfg.class_weights) <= 0):
        raise ValueError(f"class_weights must give one positive weight per class ({mcfg.n_outputs}) of a "
                         f"task-model network, got {cfg.class_weights}")
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    distributed = world > 1
    device = resolve_device(cfg.device)
    if distributed:
        import torch.distributed as dist

        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank

    net = build_model(mcfg).to(device)
    if cfg.init_from:
        load_initial_weights(net, cfg.init_from, mcfg)
    wd = cfg.weight_decay if cfg.weight_decay is not None else (0.0 if mcfg.task == "alpha" else 2e-5)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(cfg.schedule, s, cfg.steps))
    start, best, log = 0, None, []
    if resume and (out / "last.pt").is_file():
        ck = torch.load(out / "last.pt", map_location=device, weights_only=True)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        start, best = int(ck["step"]), ck["best"]
        if (out / "metrics.jsonl").is_file():
            log = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line]
            log = [r for r in log if r["step"] <= start]  # drop lines from after the checkpoint
            if rank == 0:
                (out / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    forward_net = net  # what a training step calls: the network, or its DDP wrapper
    if distributed:
        from torch.nn.parallel import DistributedDataParallel

        if device.type == "cuda":  # batch statistics over all GPUs, as one large batch would give
            net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        forward_net = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)

    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps({"train": cfg.to_dict(), "model": mcfg.to_dict(),
                                                     "world_size": world, "device": str(device),
                                                     "parameters": count_parameters(net)}, indent=2))
        val_sets = make_validation_set(cfg, mcfg)
    fixed = FixedBatches(cfg.data, cfg, mcfg, rank, world) if cfg.data else None
    batches = None if fixed else _stream_iterator(cfg, mcfg, rank, start)

    higher_better = mcfg.task == "model"
    t0, seen0 = time.time(), (log[-1]["trajectories"] if log else 0)
    run_loss, run_n, record = 0.0, 0, log[-1] if log else {}
    use_amp = cfg.amp and device.type == "cuda"
    class_weights = (None if cfg.class_weights is None
                     else torch.tensor(cfg.class_weights, dtype=torch.float32, device=device))  # (C,)
    net.train()
    step = start
    while step < cfg.steps:
        feats, target = fixed.batch(step) if fixed else next(batches)
        feats, target = feats.to(device, non_blocking=True), target.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = forward_net(feats)  # (B, n_outputs, L)
        loss = loss_fn(mcfg.task, logits, target, class_weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        sched.step()
        step += 1
        run_loss += loss.item()
        run_n += 1
        timed_out = cfg.time_limit is not None and time.time() - t0 > cfg.time_limit
        if rank == 0 and (step % cfg.val_every == 0 or step == cfg.steps or timed_out):
            record = {"step": step, "trajectories": seen0 + (step - start) * cfg.batch_size * world,
                      "seconds": round(time.time() - t0, 1), "lr": sched.get_last_lr()[0],
                      "train_loss": run_loss / max(run_n, 1), **evaluate_network(net, mcfg, val_sets, device)}
            run_loss, run_n = 0.0, 0
            m = record["val_metric"]
            improved = best is None or (m > best if higher_better else m < best)
            if improved:
                best = m
                torch.save({"model": net.state_dict()}, out / "best.pt")
                write_weights(net, mcfg, out / "best.safetensors",
                              card={"validation": {"metric": "mDice" if higher_better else "MAE", "value": m,
                                                   "lengths": list(cfg.val_lengths), "n": cfg.val_n},
                                    "training": {**cfg.to_dict(), "step": step,
                                                 "trajectories": record["trajectories"]}})
            record["best"] = best
            log.append(record)
            with open(out / "metrics.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
            torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                        "step": step, "best": best}, out / "last.pt")
            plot_curves(log, mcfg.task, out / "curves.png")
            if progress:
                progress(step, record)
        if distributed:
            flag = torch.tensor([1.0 if timed_out else 0.0], device=device)
            torch.distributed.all_reduce(flag)
            timed_out = flag.item() > 0
        if timed_out:
            break
    if distributed:
        # DDP keeps parameters equal; BatchNorm running statistics are rank 0's at each forward but then
        # updated per rank, so hand every rank rank 0's (the ones validated and saved).
        for buf in net.buffers():
            torch.distributed.broadcast(buf, 0)
    return record
