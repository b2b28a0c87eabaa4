"""The `uandi` command: thin wrappers that parse arguments, call the library and print.

    uandi simulate --task model --length 500 --n 100000 --seed 1 --out data/model500 --workers 2
    uandi train --preset small-alpha --steps 5000 --out runs/alpha
    uandi evaluate --weights runs/alpha --data data/alpha500 --out runs/alpha/eval
    uandi segment tracks.csv --plot
    uandi export runs/alpha --out src/uandi/weights/alpha.safetensors
    uandi report --weights runs/alpha --data data/alpha500 --out report-alpha

Every command checks its arguments, its input, that it can write its output folder and that the
asked-for device exists *before* any analysis, simulation or training starts. A bad argument or
input ends with one line on stderr, ``uandi <command>: error: <what is wrong and how to fix it>``,
and exit code 2; odd but valid input is handled and reported as ``uandi <command>: note: ...``
lines (see uandi.notices). No traceback reaches the user: an unexpected error (a bug) is one line
with exit code 1, and its traceback is shown with the environment variable UANDI_DEBUG=1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from .constants import MIN_TRACK_LENGTH
from .notices import UandiNotice

# Training lengths above this are refused before anything is allocated: activations grow with
# batch x length, and tracks of any length are analysed by networks trained on shorter ones.
MAX_TRAIN_LENGTH = 10_000
# Keys of --columns: canonical column names (uandi.io.COLUMN_ALIASES) and a .mat file's variable.
COLUMN_KEYS = ("track_id", "frame", "x", "y", "z", "variable")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " "}


# --- pre-flight checks: all of them run before any work starts -----------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_count(value, option: str, minimum: int) -> None:
    _require(value is None or value >= minimum, f"{option} must be an integer >= {minimum}; got {value}")


def _check_number(value, option: str, minimum: float, strict: bool = False) -> None:
    ok = value is None or (math.isfinite(value) and (value > minimum if strict else value >= minimum))
    _require(ok, f"{option} must be a finite number {'>' if strict else '>='} {minimum:g}; got {value}")


def check_device(device: str) -> None:
    """--device cuda needs a GPU that torch can see; say so before loading or training anything."""
    if device != "cuda":
        return
    import torch

    if not torch.cuda.is_available():
        build = ("this torch is a CPU-only build" if torch.version.cuda is None
                 else f"this torch is built for CUDA {torch.version.cuda} but sees no GPU or driver")
        raise ValueError(f"--device cuda: no CUDA GPU available ({build}); use --device cpu, or "
                         f"--device auto to use a GPU when there is one")


def check_writable_folder(folder: Path, option: str) -> None:
    """The output folder (existing or to be created) can take new files; nothing is created here.

    Probes the folder itself, or the nearest existing folder above one that does not exist yet,
    with a temporary file that is removed at once (permission bits alone do not tell: a read-only
    file system, or root)."""
    folder = Path(folder).absolute()
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"output folder {folder}: {existing} is a file, not a folder; choose "
                         f"another folder with {option}")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        where = "" if existing == folder else f" (the folder {folder} would be created in it)"
        raise ValueError(f"cannot write into {existing}{where}: {err.strerror or err}; choose a "
                         f"writable output folder with {option}") from None


def _parse_columns(text: str | None) -> dict | None:
    """--columns frame=time,x=X_um,y=Y_um,track_id=cell -> {"frame": "time", ...}; "frame=" -> None."""
    if not text:
        return None
    columns = {}
    for item in text.split(","):
        key, equals, name = item.partition("=")
        key = key.strip()
        _require(bool(equals) and key in COLUMN_KEYS,
                 f"--columns takes name=column pairs separated by commas, names from {list(COLUMN_KEYS)}, "
                 f"e.g. --columns frame=time,track_id=cell (frame= numbers the rows); got {item!r}")
        _require(key not in columns, f"--columns names {key!r} twice")
        columns[key] = name if name != "" else None
    return columns


def _parse_delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    delimiter = _DELIMITER_NAMES.get(text.lower(), text)
    _require(len(delimiter) == 1, f"--delimiter takes one character (e.g. ';' or tab); got {text!r}")
    return delimiter


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
    if getattr(a, "flavor", None) and a.flavor != "uandi":
        from .simulate.compose import check_flavors

        names = check_flavors(a.flavor.split(","))
        opts["flavor"] = names[0] if len(names) == 1 else list(names)
    if getattr(a, "exposure", None):
        _check_number(a.exposure, "--exposure", 0)
        _require(a.exposure <= 1 and a.scale == "free",
                 f"--exposure (motion blur, the camera's open time as a fraction of the frame interval) must lie "
                 f"in [0, 1] and needs --scale free; got {a.exposure} with --scale {a.scale}")
        opts["exposure"] = a.exposure
    return opts


def _add_sim_args(p):
    p.add_argument("--n-segments", help="segments per trajectory, 'min,max' (default 2,5)")
    p.add_argument("--min-alpha-jump", type=float, default=0.0, help="alpha task: |alpha change| > this (reference: 0.5)")
    p.add_argument("--scale", choices=("free", "native"), default="free",
                   help="free: unit RMS step per segment (default); native: the models' own units (reference protocol)")
    p.add_argument("--diffusion-factor", help="'low,high': random step-size factor per segment (log-uniform)")
    p.add_argument("--models", help="model task: comma-separated subset of attm,ctrw,fbm,lw,sbm")
    p.add_argument("--flavor", default="uandi",
                   help="simulator parametrisations: uandi (ours, default), andi (andi-datasets'), or "
                        "'uandi,andi' to draw one per segment")
    p.add_argument("--exposure", type=float, default=0.0,
                   help="motion blur: each frame's position averaged over this fraction of the frame interval, "
                        "0-1 (default 0: instantaneous frames)")


def cmd_simulate(a) -> int:
    from tqdm import tqdm

    from .data.files import write_dataset

    _check_number(a.noise, "--noise", 0)
    _check_count(a.workers, "--workers", 1)
    _check_count(a.shard_size, "--shard-size", 1)
    check_writable_folder(Path(a.out), "--out")
    opts = _sim_options(a)
    if a.noise:
        opts["noise"] = a.noise
    with tqdm(total=a.n, unit="traj", desc="simulate", disable=a.quiet) as bar:
        out = write_dataset(a.out, a.task, a.n, a.length, a.seed, workers=a.workers, shard_size=a.shard_size,
                            progress=bar.update, **opts)
    print(f"wrote {a.n} trajectories of {a.length} points to {out}")
    return 0


def _check_train_args(a) -> tuple:
    """(lengths, noise, val_lengths) after checking every number and the run folder."""
    _check_count(a.steps, "--steps", 1)
    _check_count(a.batch_size, "--batch-size", 1)
    _check_count(a.val_n, "--val-n", 1)
    _check_count(a.val_every, "--val-every", 1)
    _check_count(a.workers, "--workers", 0)
    _check_count(a.threads, "--threads", 1)
    _check_number(a.lr, "--lr", 0, strict=True)
    _check_number(a.weight_decay, "--weight-decay", 0)
    _check_number(a.time_limit, "--time-limit", 0, strict=True)
    try:
        lengths = _pair(a.lengths, int)
        val_lengths = tuple(int(v) for v in a.val_lengths.split(","))
        noise = _pair(a.noise)
    except (ValueError, argparse.ArgumentTypeError):
        raise ValueError(f"--lengths and --val-lengths take integers ('200' or '50,500'), --noise numbers "
                         f"('0' or '0,0.5'); got {a.lengths!r}, {a.val_lengths!r}, {a.noise!r}") from None
    for option, values in (("--lengths", lengths), ("--val-lengths", val_lengths)):
        _require(all(MIN_TRACK_LENGTH <= v <= MAX_TRAIN_LENGTH for v in values),
                 f"{option} must lie between {MIN_TRACK_LENGTH} and {MAX_TRAIN_LENGTH} points; got "
                 f"{','.join(map(str, values))}. Longer tracks need no longer training: inference runs "
                 f"on any length")
    _require(lengths[0] <= lengths[1], f"--lengths 'min,max' needs min <= max; got {a.lengths!r}")
    _require(all(math.isfinite(v) and v >= 0 for v in noise) and noise[0] <= noise[1],
             f"--noise must be >= 0, as 'sigma' or 'min,max' with min <= max; got {a.noise!r}")
    out = Path(a.out)
    if a.resume:
        _require((out / "last.pt").is_file(),
                 f"--resume: {out / 'last.pt'} does not exist, so there is no run to continue; leave out "
                 f"--resume to start a new run in {out}")
    else:
        _require(not (out / "last.pt").exists() and not (out / "metrics.jsonl").exists(),
                 f"{out} already holds a training run; pass --resume to continue it, or choose a new --out")
    if a.init_from:
        _require(Path(a.init_from).is_file(), f"--init-from {a.init_from}: no such weights file")
    if a.data:
        from .data.files import read_dataset

        read_dataset(a.data)  # a clear error for a folder that is not a dataset
    check_writable_folder(out, "--out")
    check_device(a.device)
    return lengths, noise, val_lengths


def cmd_train(a) -> int:
    lengths, noise, val_lengths = _check_train_args(a)
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
        schedule=a.schedule, weight_decay=a.weight_decay, lengths=lengths, noise=noise,
        sim_options=sim, data=a.data, val_n=a.val_n, val_lengths=val_lengths,
        val_every=a.val_every, seed=a.seed, workers=a.workers, device=a.device, amp=a.amp,
        init_from=a.init_from, time_limit=a.time_limit,
    )
    metric = "val mDice" if cfg.model_config().task == "model" else "val MAE"  # checks the preset

    def report(step, r):
        print(f"step {step:6d}  seen {r['trajectories']:8d}  {r['seconds']:7.0f}s  loss {r['train_loss']:.4f}  "
              f"{metric} {r['val_metric']:.4f}  best {r['best']:.4f}", flush=True)

    out = Path(a.out)
    created = not out.exists()
    try:
        train(cfg, out, resume=a.resume, progress=report)
    except BaseException:
        # a run that failed before its first checkpoint leaves no folder holding only config.json
        if created and out.is_dir() and not (out / "last.pt").exists():
            shutil.rmtree(out, ignore_errors=True)
        raise
    best = out / "best.safetensors"
    print(f"run folder: {out} (best weights: {best if best.is_file() else 'none written'})")
    return 0


def _dataset_and_out(a, out_name: str):
    """The checks `evaluate` and `report` share, all before any network loads: the counts, the dataset
    folder (read), the output folder (default: out_name inside the dataset's) and the device."""
    from .data.files import read_dataset

    _check_count(a.max_n, "--max-n", 1)
    _check_count(a.examples, "--examples", 0)
    data = read_dataset(a.data)
    out = Path(a.out) if a.out else Path(a.data) / out_name
    check_writable_folder(out, "--out")
    check_device(a.device)
    return data, out


def cmd_evaluate(a) -> int:
    from .evaluate import evaluate
    from .predict import load

    data, out = _dataset_and_out(a, "evaluation")
    m = load(a.weights, device=a.device)
    if data.task != m.task:
        raise ValueError(f"dataset {a.data} is for task {data.task!r} but the weights predict {m.task!r}; "
                         f"pass weights of a {data.task} network")
    result = evaluate(m, data, out, n_examples=a.examples, max_n=a.max_n)
    keys = ("mae", "mdice", "macro_dice")
    summary = {k: round(result[k], 4) for k in keys if k in result}
    summary.update({k: round(result["changepoints"][k], 4) for k in ("f1", "jsc", "rmse")})
    print(json.dumps(summary))
    print(f"metrics and figures in {out}")
    return 0


def cmd_export(a) -> int:
    from .export import export_run

    _require((Path(a.run) / "best.safetensors").is_file(),
             f"{a.run} holds no best.safetensors; pass the folder of a `uandi train` run that validated at least once")
    _require(Path(a.out).suffix == ".safetensors", f"--out must name a .safetensors file; got {a.out!r}")
    check_writable_folder(Path(a.out).parent, "--out")
    path = export_run(a.run, a.out, note=a.note)
    print(f"wrote {path} and {path.with_suffix('.json')}")
    return 0


def cmd_report(a) -> int:
    from .report import write_report

    if a.run:
        _require((Path(a.run) / "metrics.jsonl").is_file(),
                 f"--run {a.run}: no metrics.jsonl there; pass the folder of a `uandi train` run")
    data, out = _dataset_and_out(a, "report")
    page = write_report(a.weights, data, out, run=a.run, max_n=a.max_n, n_examples=a.examples, device=a.device)
    print(json.dumps({k: round(v, 4) for k, v in json.loads((out / "metrics.json").read_text()).items()
                      if k in ("mae", "mdice", "macro_dice", "accuracy")}))
    print(f"report: {page} (figures and metrics.json in {out})")
    return 0


def _output_stem(src: Path) -> str:
    """tracks.csv -> tracks, tracks.csv.gz -> tracks."""
    from .io._formats import compression_of

    return Path(src.stem).stem if compression_of(src) else src.stem


def cmd_segment(a) -> int:
    from .io import FORMATS

    if a.example:
        from importlib import resources

        _require(not a.input, "give either a track file or --example, not both")
        src = Path(str(resources.files("uandi") / "examples" / "example_tracks.csv"))
    elif a.input:
        src = Path(a.input)
    else:
        raise ValueError("give a track file (CSV, TSV, Parquet, TrackMate CSV/XML, AnDi txt, .mat, .npy) or --example")
    tasks = tuple(t.strip() for t in a.tasks.split(","))
    _require(bool(tasks) and set(tasks) <= {"alpha", "model"} and len(set(tasks)) == len(tasks),
             f"--tasks takes alpha, model or alpha,model; got {a.tasks!r}")
    weights = {}
    if a.weights:
        for item in a.weights.split(","):
            task, _, w = item.partition("=")
            _require(bool(w) and task in tasks,
                     f"--weights takes task=path pairs for the tasks run ({','.join(tasks)}), e.g. "
                     f"alpha=runs/a/best.safetensors; got {item!r}")
            weights[task] = w
    _check_count(a.min_length, "--min-length", MIN_TRACK_LENGTH)
    _check_count(a.max_plots, "--max-plots", 0)
    if a.workers is not None:
        _check_count(a.workers, "--workers", 1)
    _check_number(a.localization_error, "--localization-error", 0, strict=True)
    _check_number(a.pixel_size, "--pixel-size", 0, strict=True)
    _check_number(a.frame_interval, "--frame-interval", 0, strict=True)
    _require(math.isfinite(a.exposure) and 0 <= a.exposure <= 1,
             f"--exposure is a fraction of the frame interval, from 0 to 1; got {a.exposure}")
    _require(a.format is None or a.format in FORMATS, f"--format must be one of {list(FORMATS)}; got {a.format!r}")
    columns = _parse_columns(a.columns)
    delimiter = _parse_delimiter(a.delimiter)
    _require(src.is_file(), f"{src}: no such file; check the path")
    out = Path(a.output) if a.output else (Path.cwd() / "uandi-example" if a.example else src.parent)
    check_writable_folder(out, "-o/--output")
    check_device(a.device)
    return _run_segment(a, src, out, tasks, weights, columns, delimiter)


def _run_segment(a, src: Path, out: Path, tasks, weights, columns, delimiter) -> int:
    from tqdm import tqdm

    from .segmentation import segment, write_outputs

    with tqdm(total=0, unit="point", desc="segment", disable=a.quiet) as bar:
        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        points, segments = segment(src, tasks=tasks, weights=weights or None, min_length=a.min_length,
                                   columns=columns, format=a.format, delimiter=delimiter,
                                   localization_error=a.localization_error, likelihood=not a.no_likelihood,
                                   pixel_size=a.pixel_size, frame_interval=a.frame_interval,
                                   exposure=a.exposure, drift=a.drift, classifier=a.classifier,
                                   device=a.device, progress=progress, workers=a.workers)
    written = write_outputs(points, segments, out, _output_stem(src), plot=a.plot or a.example,
                            max_plots=a.max_plots)
    reasons = points["reason"] if "reason" in points else None
    n_ok = int((reasons == "").sum()) if reasons is not None else len(points)
    n_segments = int((segments["reason"] == "").sum()) if "reason" in segments else len(segments)
    print(f"{len(points)} points in {segments['track_id'].nunique()} tracks: {n_ok} analysed, "
          f"{n_segments} segments")
    if "alpha_method" in segments and n_segments:
        # how many segments report an exact likelihood's alpha, and why the others keep the network's
        method = segments["alpha_method"].dropna().astype(str)
        exact = int(method.str.startswith("likelihood").sum())
        network = segments.loc[method.index][method.str.startswith("network")]
        measured = int(network["alpha_se"].notna().sum()) if "alpha_se" in network else 0
        why = "column alpha_method says why" + (f"; {measured} of them with an alpha_se measured on simulated "
                                                  f"tracks, docs/alpha_models.md" if measured else "")
        print(f"alpha: {exact} of {n_segments} segments from an exact likelihood (FBM or SBM, with alpha_se), "
              f"the others from the network ({why})")
    drift = segments.attrs.get("drift")
    if drift and drift["removed"]:
        (vx, vy), (sx, sy) = drift["removed_velocity"], drift["removed_se"]
        print(f"drift removed: ({vx:.3g} +- {sx:.2g}, {vy:.3g} +- {sy:.2g}) input units per frame, "
              f"from {drift['n_tracks']} tracks")
    if "units" in segments and n_segments:
        print(f"units: {segments['units'].dropna().iloc[0]} (--pixel-size um per input unit and "
              f"--frame-interval s per frame set them)")
    if reasons is not None and n_ok < len(points):
        kinds = reasons[reasons != ""].str.split(" (", n=1, regex=False).str[0]  # "too short (5 < 20)"
        print("not analysed: " + ", ".join(f"{n} points {kind}" for kind, n in kinds.value_counts().items())
              + f" (column 'reason' of {_output_stem(src)}_points.csv)")
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
    p.add_argument("--weights", required=True,
                   help="a shipped network (alpha, diffusion-model), a .safetensors file or a run folder")
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
    p.add_argument("--columns", help="the file's column names, e.g. track_id=cell,frame=time,x=X_um,y=Y_um "
                                     "(frame= numbers the rows; variable=NAME picks a .mat matrix)")
    p.add_argument("--delimiter", help="field separator of a CSV file, e.g. ';' or tab (default: guessed)")
    p.add_argument("--localization-error", type=float, metavar="SIGMA",
                   help="localization error per axis, in the positions' unit: taken as known by the likelihood "
                        "(segments whose data reject it get it fitted) and pieces within it count as immobile "
                        "(default: unknown; one localization error per track searched by the likelihood; pieces whose "
                        "MSD does not grow count as immobile)")
    p.add_argument("--pixel-size", type=float, metavar="UM",
                   help="micrometres per input position unit (trackpy's mpp): K and the localization error in um")
    p.add_argument("--frame-interval", type=float, metavar="S",
                   help="seconds per frame (1/fps): K in um^2/s^alpha (default: per frame)")
    p.add_argument("--exposure", type=float, default=0.0, metavar="FRACTION",
                   help="camera exposure as a fraction of the frame interval (0-1), for the likelihood's "
                        "motion-blur model (default 0: instantaneous frames)")
    p.add_argument("--drift", choices=("constant",),
                   help="constant: take one drift velocity shared by all tracks (a drifting stage, measured on all "
                        "moving tracks, frames as numbered; the slowest count most) out of the positions analysed; refused when "
                        "the slowest tracks do not share it (a flow). Default: positions as given, with a note "
                        "when a shared motion is large enough to bias alpha (or changes over the recording)")
    p.add_argument("--no-likelihood", action="store_true",
                   help="the networks alone: no exact per-segment alpha, K and error bars (faster)")
    p.add_argument("--classifier", nargs="?", const="trajectory-model", metavar="WEIGHTS",
                   help="label each segment as a whole with a trajectory classifier (default when given "
                        "alone: the shipped trajectory-model): classifier_* columns in the segments table")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes for the likelihood stage (default: the CPUs available, at most 4; Linux, files "
                        "of 500,000 points or more; 1 = one process)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser("export", help="turn a run folder's best weights into a shippable .safetensors + card")
    p.add_argument("run", help="training run folder")
    p.add_argument("--out", required=True, help="destination .safetensors")
    p.add_argument("--note", default="", help="free text for the card")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="the paper's figures and an HTML page of their numbers for weights on a dataset")
    p.add_argument("--weights", required=True,
                   help="a shipped network (alpha, diffusion-model, trajectory-model), a .safetensors file or a run folder")
    p.add_argument("--data", required=True, help="dataset folder from `uandi simulate`")
    p.add_argument("--out", help="report folder (default DATA/report)")
    p.add_argument("--run", help="training run folder for the curves (default: the folder of --weights, if a run)")
    p.add_argument("--examples", type=int, default=6, help="example trajectories to plot")
    p.add_argument("--max-n", type=int, help="score only the first N trajectories")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.set_defaults(func=cmd_report)
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    prefix = f"uandi {args.command}"

    def show(message, category, filename, lineno, file=None, line=None):
        from tqdm import tqdm

        # tqdm.write: on a line of its own, the progress bar (if one is drawn) cleared and drawn again below
        kind = "note" if issubclass(category, UandiNotice) else "warning"
        tqdm.write(f"{prefix}: {kind}: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", UandiNotice)
        warnings.showwarning = show
        try:
            return args.func(args)
        except (ValueError, FileNotFoundError, FileExistsError) as e:
            print(f"{prefix}: error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{prefix}: interrupted", file=sys.stderr)
            return 130
        except MemoryError as e:
            print(f"{prefix}: error: out of memory; " + (str(e) if str(e) else "use smaller inputs, batches or lengths"),
                  file=sys.stderr)
            return 1
        except Exception as e:  # a bug: one line for the user, the traceback on request
            if os.environ.get("UANDI_DEBUG"):
                raise
            print(f"{prefix}: internal error: {type(e).__name__}: {e}. This is a bug in uandi; please "
                  f"report it with the command. UANDI_DEBUG=1 shows the traceback", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
