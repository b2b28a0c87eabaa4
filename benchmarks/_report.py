"""Write a benchmark's markdown block into a docs page, between markers, so reruns replace it in place."""

from __future__ import annotations

import os
import shlex
from pathlib import Path


def single_thread() -> None:
    """One core: pin BLAS/FFT thread pools (call before numpy is imported) and the process itself."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def pin_threads(threads: int) -> None:
    """BLAS and OpenMP thread pools at `threads` (call before numpy is imported; torch's own count is
    torch.set_num_threads)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def reproduce_command(script: str, parser, args) -> str:
    """`python benchmarks/<script>` with each option of `args` that differs from its default in `parser`
    (in the order they were added), for the "Reproduce:" line of a docs block."""
    parts = [f"python benchmarks/{Path(script).name}"]
    for dest, value in vars(args).items():
        if value != parser.get_default(dest):
            if value is True:  # a flag (store_true)
                parts.append(f"--{dest.replace('_', '-')}")
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            parts.append(f"--{dest.replace('_', '-')} " + " ".join(shlex.quote(str(v)) for v in values))
    return " ".join(parts)


def mean_by_model(values, model) -> tuple[float, list[float]]:
    """The mean of a per-point quantity (a right/wrong flag, an absolute error) over all points and over
    the points of each true model (class ids in uandi.MODELS order); arrays of one shape."""
    from uandi.constants import MODELS

    return float(values.mean()), [float(values[model == i].mean()) for i in range(len(MODELS))]


def scores_by_model(weights: str, sets: list[tuple], score) -> list[tuple]:
    """For each network in a comma-separated list and each set (key..., x, alpha, model): the row
    (network, key..., mean, [mean per true model]) of score(net, x, alpha, model), a per-point array (a
    right/wrong flag, an absolute error). Each row is printed as it comes (these runs take minutes)."""
    from uandi.predict import load

    rows = []
    for w in [w for w in weights.split(",") if w]:
        net = load(w, device="cpu")
        for *key, x, alpha, model in sets:
            rows.append((w, *key, *mean_by_model(score(net, x, alpha, model), model)))
            print(rows[-1], flush=True)
    return rows


def per_model_table(header: list, rows: list[tuple], digits: int = 3) -> list[str]:
    """scores_by_model's rows as a markdown table: the given leading columns (the last names the mean),
    then one column per model."""
    from uandi.constants import MODELS

    return markdown_table([*header, *(m.upper() for m in MODELS)],
                          [[*key, f"{mean:.{digits}f}", *(f"{v:.{digits}f}" for v in per)]
                           for *key, mean, per in rows])


def markdown_table(header: list, rows: list) -> list[str]:
    """The lines of a markdown table: a header row, its rule, one line per row (cells already strings or
    anything str() writes as wanted)."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]


def write_block(path: str | Path, name: str, body: str) -> None:
    """Replace the text between <!-- name:start --> and <!-- name:end --> in `path` (appended if absent)."""
    path = Path(path)
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)
