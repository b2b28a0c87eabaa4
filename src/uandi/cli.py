"""The `uandi` command: thin wrappers that parse arguments, call the library and print.

    uandi simulate --task model --length 500 --n 100000 --seed 1 --out data/model500 --workers 2
    uandi train --preset small-alpha --steps 5000 --out runs/alpha
    uandi evaluate --weights runs/alpha --data data/alpha500 --out runs/alpha/eval
    uandi segment tracks.csv --plot
    uandi export runs/alpha --out src/uandi/weights/alpha.safetensors
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .constants import MIN_TRACK_LENGTH


def _pair(text: str, kind=float) -> tuple:
    parts = [kind(p) for p in text.replace(":", ",").split(",")]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected one value or 'low,high', got {text!r}")
    return tuple(parts)


def _sim_options(a) -> dict:
    opts = {}
    if getattr(a, "n_segments", None):
        opts["n_segments"] = _pair(a.n_segments, int)
    if getattr(a, "min_alpha_jump", None):
        opts["min_alpha_jump"] = a.min_alpha_jump
    if getattr(a, "scale", None) and a.scale != "free":
        opts["scale"] = a.scale
    if getattr(a, "diffusion_factor", None):
        opts["diffusion_factor"] = _pair(a.diffusion_factor)
    if getattr(a, "models", None):
        opts["models"] = tuple(a.models.split(","))
    return opts


def _add_sim_args(p):
    p.add_argument("--n-segments", help="segments per trajectory, 'min,max' (default 2,5)")
    p.add_argument("--min-alpha-jump", type=float, default=0.0, help="alpha task: |alpha change| > this (reference: 0.5)")
    p.add_argument("--scale", choices=("free", "native"), default="free",
                   help="free: unit RMS step per segment (default); native: the models' own units (reference protocol)")
    p.add_argument("--diffusion-factor", help="'low,high': random step-size factor per segment (log-uniform)")
    p.add_argument("--models", help="model task: comma-separated subset of attm,ctrw,fbm,lw,sbm")


def cmd_simulate(a) -> int:
    from tqdm import tqdm

    from .data.files import write_dataset

    if a.noise < 0:
        raise SystemExit(f"--noise must be >= 0, got {a.noise}")
    opts = _sim_options(a)
    if a.noise:
        opts["noise"] = a.noise
    with tqdm(total=a.n, unit="traj", desc="simulate", disable=a.quiet) as bar:
        out = write_dataset(a.out, a.task, a.n, a.length, a.seed, workers=a.workers, shard_size=a.shard_size,
                            progress=bar.update, **opts)
    print(f"wrote {a.n} trajectories of {a.length} points to {out}")
    return 0


def cmd_train(a) -> int:
    import torch

    from .train import TrainConfig, train

    if a.threads:
        torch.set_num_threads(a.threads)
    overrides = {}
    for name in ("width", "representation"):
        if getattr(a, name) is not None:
            overrides[name] = getattr(a, name)
    if a.causal is not None:
        overrides["causal"] = a.causal == "causal"
    if a.classes:
        classes = tuple(a.classes.split(","))
        overrides.update(classes=classes, n_outputs=len(classes))
    sim = _sim_options(a)
    if a.classes and "models" not in sim:
        sim["models"] = tuple(a.classes.split(","))
    cfg = TrainConfig(
        preset=a.preset, model_overrides=overrides, steps=a.steps, batch_size=a.batch_size, lr=a.lr,
        schedule=a.schedule, weight_decay=a.weight_decay, lengths=_pair(a.lengths, int), noise=_pair(a.noise),
        sim_options=sim, data=a.data, val_n=a.val_n, val_lengths=tuple(int(v) for v in a.val_lengths.split(",")),
        val_every=a.val_every, seed=a.seed, workers=a.workers, device=a.device, amp=a.amp,
        init_from=a.init_from, time_limit=a.time_limit,
    )
    metric = "val mDice" if cfg.model_config().task == "model" else "val MAE"

    def report(step, r):
        print(f"step {step:6d}  seen {r['trajectories']:8d}  {r['seconds']:7.0f}s  loss {r['train_loss']:.4f}  "
              f"{metric} {r['val_metric']:.4f}  best {r['best']:.4f}", flush=True)

    train(cfg, a.out, resume=a.resume, progress=report)
    print(f"run folder: {a.out} (best weights: {Path(a.out) / 'best.safetensors'})")
    return 0


def cmd_evaluate(a) -> int:
    from .data.files import read_dataset
    from .evaluate import evaluate
    from .predict import load

    data = read_dataset(a.data)  # checks the folder before loading any network
    m = load(a.weights, device=a.device)
    if data.task != m.task:
        raise SystemExit(f"dataset {a.data} is for task {data.task!r} but the weights predict {m.task!r}")
    out = Path(a.out) if a.out else Path(a.data) / "evaluation"
    result = evaluate(m, data, out, n_examples=a.examples, max_n=a.max_n)
    keys = ("mae", "mdice", "macro_dice")
    summary = {k: round(result[k], 4) for k in keys if k in result}
    summary.update({k: round(result["changepoints"][k], 4) for k in ("f1", "jsc", "rmse")})
    print(json.dumps(summary))
    print(f"metrics and figures in {out}")
    return 0


def cmd_export(a) -> int:
    from .export import export_run

    path = export_run(a.run, a.out, note=a.note)
    print(f"wrote {path} and {path.with_suffix('.json')}")
    return 0


def cmd_segment(a) -> int:
    from tqdm import tqdm

    from .segmentation import segment, write_outputs

    if a.example:
        from importlib import resources

        src = Path(str(resources.files("uandi") / "examples" / "example_tracks.csv"))
    elif a.input:
        src = Path(a.input)
    else:
        raise SystemExit("give a track file (CSV, TSV, Parquet, TrackMate CSV/XML, AnDi txt, .mat, .npy) or --example")
    tasks = tuple(t.strip() for t in a.tasks.split(","))
    weights = {}
    if a.weights:
        for item in a.weights.split(","):
            task, _, w = item.partition("=")
            if not w:
                raise SystemExit(f"--weights takes task=path pairs, e.g. alpha=runs/a/best.safetensors; got {item!r}")
            weights[task] = w
    out = Path(a.output) if a.output else (Path.cwd() / "uandi-example" if a.example else src.parent)
    with tqdm(total=0, unit="point", desc="segment", disable=a.quiet) as bar:
        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        points, segments = segment(src, tasks=tasks, weights=weights or None, min_length=a.min_length,
                                   format=a.format, device=a.device, progress=progress)
    written = write_outputs(points, segments, out, src.stem, plot=a.plot or a.example, max_plots=a.max_plots)
    n_ok = int((points["reason"] == "").sum()) if "reason" in points else len(points)
    print(f"{len(points)} points in {segments['track_id'].nunique()} tracks: {n_ok} analysed, "
          f"{len(segments)} segments")
    for p in written:
        print(f"wrote {p}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    ap = argparse.ArgumentParser(prog="uandi", description="Point-wise segmentation of anomalous diffusion (U-AnDi).")
    ap.add_argument("--version", action="version", version=f"uandi {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="write a simulated dataset folder (shards, memory-mapped)")
    p.add_argument("--task", choices=("alpha", "model"), required=True)
    p.add_argument("--length", type=int, required=True, help="points per trajectory")
    p.add_argument("--n", type=int, required=True, help="number of trajectories")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="new dataset folder")
    p.add_argument("--noise", type=float, default=0.0, help="localization noise sigma_n relative to the RMS step")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    p.add_argument("--shard-size", type=int, default=10_000)
    p.add_argument("--quiet", action="store_true")
    _add_sim_args(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("train", help="train a network (on-the-fly simulation or a dataset folder)")
    p.add_argument("--preset", default="small-alpha", help="network preset (uandi.nn.PRESETS)")
    p.add_argument("--width", type=int, help="override the base width b")
    p.add_argument("--causal", choices=("causal", "symmetric"), help="WADNet padding form")
    p.add_argument("--representation", choices=("positions", "increments", "both"))
    p.add_argument("--classes", help="model task: output classes, e.g. ctrw,fbm (transfer learning)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--schedule", choices=("constant", "cosine"), default="cosine")
    p.add_argument("--weight-decay", type=float, help="default: 0 (alpha), 2e-5 (model), as in the paper")
    p.add_argument("--lengths", default="200", help="training length, or 'min,max' drawn per batch")
    p.add_argument("--noise", default="0", help="localization noise sigma_n, or 'min,max' per trajectory")
    p.add_argument("--data", help="a dataset folder instead of on-the-fly simulation")
    p.add_argument("--val-n", type=int, default=1000)
    p.add_argument("--val-lengths", default="200")
    p.add_argument("--val-every", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="DataLoader processes simulating batches")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast on GPU")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--init-from", help="start from these weights (.safetensors); a mismatched head is re-initialised")
    p.add_argument("--time-limit", type=float, help="seconds; stop cleanly after this long")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--out", required=True, help="run folder")
    _add_sim_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score weights on a dataset folder: metrics JSON and figures")
    p.add_argument("--weights", required=True, help="alpha, model, a .safetensors file or a run folder")
    p.add_argument("--data", required=True, help="dataset folder from `uandi simulate`")
    p.add_argument("--out", help="output folder (default DATA/evaluation)")
    p.add_argument("--examples", type=int, default=6, help="example trajectories to plot")
    p.add_argument("--max-n", type=int, help="score only the first N trajectories")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("segment", help="segment the tracks of a file: per-point alpha and model, segments, plots")
    p.add_argument("input", nargs="?", help="track file")
    p.add_argument("-o", "--output", help="output folder (default: next to the input)")
    p.add_argument("--example", action="store_true", help="segment the example file bundled with the package")
    p.add_argument("--tasks", default="alpha,model", help="alpha, model or both")
    p.add_argument("--plot", action="store_true", help="PNG figures per track and a summary figure")
    p.add_argument("--max-plots", type=int, default=20)
    p.add_argument("--min-length", type=int, default=MIN_TRACK_LENGTH, help="shortest analysed piece of track, in points")
    p.add_argument("--weights", help="task=path pairs, e.g. alpha=runs/a,model=runs/m (default: shipped models)")
    p.add_argument("--format", help="force the input format (csv, tsv, parquet, trackmate-csv, trackmate-xml, "
                                    "andi-txt, mat, npy)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser("export", help="turn a run folder's best weights into a shippable .safetensors + card")
    p.add_argument("run", help="training run folder")
    p.add_argument("--out", required=True, help="destination .safetensors")
    p.add_argument("--note", default="", help="free text for the card")
    p.set_defaults(func=cmd_export)
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        print(f"uandi {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
