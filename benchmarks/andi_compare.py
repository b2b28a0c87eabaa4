"""Our simulator side by side with andi-datasets (models_theory via datasets_theory.create_dataset, 2D).

For every model at the ends and middle of its alpha range:
  - the ensemble-MSD exponent (MSD from t = 0, least-squares slope of log MSD against log lag) on
    lags 2-32 of 200-point trajectories and on lags 100-1600 of 2000-point trajectories, ours and
    theirs, each +- its standard error (delta method over independent trajectories);
  - a two-sample Kolmogorov-Smirnov test on scale-normalised increments of the 200-point sets
    (each trajectory's x and y steps divided by its per-axis RMS step, pooled over trajectories), next
    to the KS statistic between two independent sets of ours, the D that sampling alone gives
    (increments within a trajectory are correlated, so the textbook p-value is too small);
  - the share of trajectories that never move (RMS step 0, left out of the KS test) and the median
    native per-axis RMS step;
  - then the same for our andi flavour (`flavor="andi"`, uandi.simulate.andi) against andi-datasets, in a
    second table: it should agree with andi-datasets at the level of chance everywhere.

andi-datasets pins numpy <= 1.26, so it runs in its own environment (not a project dependency):
    python3 -m venv /tmp/andi-venv
    /tmp/andi-venv/bin/pip install "numpy<=1.26" andi-datasets scipy
    /tmp/andi-venv/bin/pip install --no-deps -e .
    /tmp/andi-venv/bin/python benchmarks/andi_compare.py --write docs/simulator.md
About two minutes on one core. andi-datasets' FBM comes from the `stochastic` package, which draws from
its own unseeded generator, so the andi FBM rows change slightly from run to run; all else is seeded.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from _report import single_thread, write_block

single_thread()

import numpy as np  # noqa: E402  (after the thread settings)
from scipy import stats  # noqa: E402

from uandi.simulate import trajectories  # noqa: E402

CASES = [
    ("attm", (0.05, 0.5, 1.0)),
    ("ctrw", (0.05, 0.5, 1.0)),
    ("fbm", (0.05, 1.0, 1.99)),
    ("lw", (1.0, 1.5, 2.0)),
    ("sbm", (0.05, 1.0, 2.0)),
]
# Lag 1 is left out of the short fit: our CTRW cannot have jumped by t = 1 (every wait is >= 1), so
# its MSD there is exactly 0.
SHORT_LENGTH, SHORT_LAGS = 200, np.arange(2, 33)
LONG_LENGTH, LONG_LAGS = 2000, np.unique(np.round(100 * 2 ** (np.arange(9) / 2)).astype(int))  # 100..1600

# Why rows differ, where they do on purpose (see docs/simulator.md for the details).
NOTES = {
    "attm": "different parametrisation: andi draws sigma = 3 U(0.01, 1.1), gamma = sigma/alpha, D from a "
    "truncated range, integer periods; ours gamma ~ U[1, min(2, 1/(1-alpha))), periods from 1",
    "ctrw": "andi shows a jump at frame floor(t_k), ours at ceil(t_k) (the position after the last "
    "completed jump)",
    "fbm": "same process; andi's FBM (package stochastic) is scaled to total time 1 and is unseeded",
    "lw": "andi: speed U(0, 10) per trajectory, integer flight times (turns only at frames); ours speed 1, "
    "turns inside a frame",
    "sbm": "andi's path is offset: per-axis MSD (t+1)^alpha - 1 (and K = 1/2); ours 2 t^alpha",
}
EXTRA_NOTES = {("lw", 2.0): "andi draws sigma ~ U(0, 1) at alpha = 2 exactly (ours sigma = 1)"}


def andi_trajectories(model: str, n: int, length: int, alpha: float) -> np.ndarray:
    """n 2D trajectories (n, length, 2) from andi-datasets' public dataset API (its native units)."""
    from andi_datasets.datasets_theory import datasets_theory

    maker = datasets_theory()
    index = maker.avail_models_name.index(model)  # alphabetical: attm, ctrw, fbm, lw, sbm
    rows = maker.create_dataset(T=length, N_models=n, exponents=[alpha], models=[index], dimension=2)
    xy = rows[:, 2:]  # columns: model label, exponent, x (length), y (length)
    return np.stack([xy[:, :length], xy[:, length:]], axis=-1)


def msd_exponent(positions: np.ndarray, lags: np.ndarray) -> tuple[float, float]:
    """Ensemble-MSD exponent and its standard error (delta method, covariance over trajectories)."""
    sq = ((positions[:, lags] - positions[:, :1]) ** 2).sum(axis=-1)  # (N, m)
    msd = sq.mean(axis=0)
    log_t = np.log(lags.astype(float))
    w = (log_t - log_t.mean()) / ((log_t - log_t.mean()) ** 2).sum()
    rel_cov = np.cov(sq / msd, rowvar=False) / sq.shape[0]
    return float(w @ np.log(msd)), float(np.sqrt(w @ rel_cov @ w))


def scaled_increments(positions: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Pooled increments / per-trajectory RMS step; share of motionless trajectories; median RMS step."""
    dx = np.diff(positions, axis=1)  # (N, L - 1, 2)
    rms = np.sqrt((dx**2).mean(axis=(1, 2)))  # per-axis RMS step, one factor for both axes
    moving = rms > 0
    return (dx[moving] / rms[moving, None, None]).ravel(), float(1.0 - moving.mean()), float(np.median(rms))


def fmt_exp(value: tuple[float, float]) -> str:
    return f"{value[0]:.3f} ± {value[1]:.3f}"


def compare(model: str, alpha: float, n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # andi-datasets draws from numpy's global generator
    row = {"model": model, "alpha": alpha}
    t0 = time.perf_counter()
    ours_short = trajectories(model, n, SHORT_LENGTH, alpha, rng)
    ours_null = trajectories(model, n, SHORT_LENGTH, alpha, rng)  # second independent set: D of chance
    ours_long = trajectories(model, n, LONG_LENGTH, alpha, rng)
    t1 = time.perf_counter()
    flavor_short = trajectories(model, n, SHORT_LENGTH, alpha, rng, flavor="andi")
    flavor_long = trajectories(model, n, LONG_LENGTH, alpha, rng, flavor="andi")
    flavor_null = trajectories(model, n, SHORT_LENGTH, alpha, rng, flavor="andi")
    t_flavor = time.perf_counter() - t1
    t1 = time.perf_counter()
    andi_short = andi_trajectories(model, n, SHORT_LENGTH, alpha)
    andi_long = andi_trajectories(model, n, LONG_LENGTH, alpha)
    t2 = time.perf_counter()
    row["short"] = (msd_exponent(ours_short, SHORT_LAGS), msd_exponent(andi_short, SHORT_LAGS))
    row["long"] = (msd_exponent(ours_long, LONG_LAGS), msd_exponent(andi_long, LONG_LAGS))
    inc_ours, still_ours, rms_ours = scaled_increments(ours_short)
    inc_null, _, _ = scaled_increments(ours_null)
    inc_andi, still_andi, rms_andi = scaled_increments(andi_short)
    ks = stats.ks_2samp(inc_ours, inc_andi)
    row["ks"] = (ks.statistic, ks.pvalue, stats.ks_2samp(inc_ours, inc_null).statistic)
    row["still"] = (still_ours, still_andi)
    row["rms"] = (rms_ours, rms_andi)
    row["seconds"] = (t1 - t0, t2 - t1)
    # our andi flavour (uandi.simulate.andi) against andi-datasets itself
    inc_flavor, still_flavor, rms_flavor = scaled_increments(flavor_short)
    ks_flavor = stats.ks_2samp(inc_flavor, inc_andi)
    ks_flavor_null = stats.ks_2samp(inc_flavor, scaled_increments(flavor_null)[0]).statistic
    row["flavor"] = {
        "short": msd_exponent(flavor_short, SHORT_LAGS), "long": msd_exponent(flavor_long, LONG_LAGS),
        "ks": (ks_flavor.statistic, ks_flavor.pvalue, ks_flavor_null), "still": still_flavor, "rms": rms_flavor,
        "seconds": t_flavor,
    }
    return row


def markdown(rows: list[dict], n: int, seed: int, elapsed: float) -> str:
    import andi_datasets

    lines = [
        f"n = {n} trajectories per set and model/alpha; seed {seed}; numpy {np.__version__}, "
        f"andi-datasets {getattr(andi_datasets, '__version__', '2.1.13')}, Python {platform.python_version()}; "
        f"{elapsed:.0f} s on one core.",
        "",
        "Command: `/tmp/andi-venv/bin/python benchmarks/andi_compare.py --write docs/simulator.md` "
        "(environment: see the script's docstring).",
        "",
        "| model | alpha | exponent, lags 2-32, L=200: ours | andi | exponent, lags 100-1600, L=2000: ours | andi "
        "| KS D (p) ours vs andi | KS D ours vs ours | never move: ours / andi | median RMS step: ours / andi |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        d, p, d_null = r["ks"]
        lines.append(
            f"| {r['model'].upper()} | {r['alpha']:g} | {fmt_exp(r['short'][0])} | {fmt_exp(r['short'][1])} "
            f"| {fmt_exp(r['long'][0])} | {fmt_exp(r['long'][1])} | {d:.4f} ({p:.1e}) | {d_null:.4f} "
            f"| {100 * r['still'][0]:.1f}% / {100 * r['still'][1]:.1f}% | {r['rms'][0]:.3g} / {r['rms'][1]:.3g} |"
        )
    lines += ["", "Where the two differ by construction:", ""]
    for model, _ in CASES:
        lines.append(f"- {model.upper()}: {NOTES[model]}.")
    for (model, alpha), note in EXTRA_NOTES.items():
        lines.append(f"- {model.upper()} alpha = {alpha:g}: {note}.")
    return "\n".join(lines)


def markdown_flavor(rows: list[dict], n: int, seed: int) -> str:
    """Our andi flavour (`flavor="andi"`) against andi-datasets, same sets and statistics."""
    lines = [
        f"n = {n} trajectories per set and model/alpha; seed {seed}; the andi-datasets columns are the sets of "
        "the table above. Command: as above.",
        "",
        "| model | alpha | exponent, lags 2-32: flavor andi | andi-datasets | exponent, lags 100-1600: flavor andi "
        "| andi-datasets | KS D (p) flavor andi vs andi-datasets | KS D flavor vs flavor (chance) "
        "| never move: flavor / andi | median RMS step: flavor / andi |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r["flavor"]
        lines.append(
            f"| {r['model'].upper()} | {r['alpha']:g} | {fmt_exp(f['short'])} | {fmt_exp(r['short'][1])} "
            f"| {fmt_exp(f['long'])} | {fmt_exp(r['long'][1])} | {f['ks'][0]:.4f} ({f['ks'][1]:.1e}) "
            f"| {f['ks'][2]:.4f} | {100 * f['still']:.1f}% / {100 * r['still'][1]:.1f}% "
            f"| {f['rms']:.3g} / {r['rms'][1]:.3g} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="trajectories per set (default 1000)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--write", metavar="MARKDOWN", help="write the table into this docs page")
    args = parser.parse_args(argv)
    try:
        import andi_datasets  # noqa: F401
    except ImportError:
        sys.exit("andi-datasets is not importable: run this with the andi venv (see the docstring)")

    start = time.perf_counter()
    rows = []
    for model, alphas in CASES:
        for alpha in alphas:
            row = compare(model, alpha, args.n, args.seed)
            rows.append(row)
            print(
                f"{model:5s} {alpha:5.2f}  short {fmt_exp(row['short'][0])} vs {fmt_exp(row['short'][1])}  "
                f"long {fmt_exp(row['long'][0])} vs {fmt_exp(row['long'][1])}  KS D {row['ks'][0]:.4f} "
                f"(null {row['ks'][2]:.4f})  [{row['seconds'][0]:.1f} s ours, {row['seconds'][1]:.1f} s andi]",
                flush=True,
            )
            f = row["flavor"]
            print(f"      flavor andi: short {fmt_exp(f['short'])}  long {fmt_exp(f['long'])}  KS D {f['ks'][0]:.4f}",
                  flush=True)
    text = markdown(rows, args.n, args.seed, time.perf_counter() - start)
    text_flavor = markdown_flavor(rows, args.n, args.seed)
    print(text)
    print(text_flavor)
    if args.write:
        write_block(args.write, "andi_compare", text)
        write_block(args.write, "andi_flavor", text_flavor)


if __name__ == "__main__":
    main()
