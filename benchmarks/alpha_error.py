"""Error bars for the network's alpha: calibrated on simulated tracks, checked on others -> docs/alpha_models.md.

    python benchmarks/alpha_error.py --write-table --andi-sets runs/andi-model-200.npz,runs/andi-model-500.npz
    python benchmarks/alpha_error.py --n-cal 60 --n-check 100 --out /tmp/alpha_error.md   # a quick look

Segments classified ATTM, CTRW or LW, classified with a probability under 0.85, or under 10 points keep
the alpha network's value (uandi.alpha_error says why and how the error bar is made). This script:

1. calibration: `uandi.segment` (both shipped networks, the product's defaults) on simulated five-model
   tracks like the networks' training data - lengths 50, 100, ..., 500 (--n-cal per length), each
   segment's flavour drawn from ours and andi's, localization noise uniform in 0-0.5 of the RMS step,
   30 % of FBM and SBM segments Brownian, step size x 0.5-2 per segment (seeds [71, L]). For each
   segment whose alpha is the network's: its error against the true alpha of most of its points ->
   uandi.alpha_error.calibrate -> src/uandi/weights/alpha-network-error.json (with --write-table);
2. check, on sets made with other seeds and without the training's draws (--n-check tracks each): ours and
   the andi flavour at L = 200 and 500 with no noise, ours with noise 0.1 and 0.3, and andi-datasets' own
   simulations (--andi-sets, from benchmarks/andi_sets.py): the share of the network's segments whose
   interval alpha +- 1.96 alpha_se holds that true alpha, by class called (the target is 0.95), their
   MAE and median alpha_se, beside the same for the likelihood's segments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import markdown_table, pin_threads, reproduce_command, write_block  # noqa: E402  (no thread pool)

if TYPE_CHECKING:  # numpy and pandas are imported after pin_threads (their thread pools read it at import)
    import numpy as np
    import pandas as pd

CAL_LENGTHS = tuple(range(50, 501, 50))


def segment_truth(values, seg: pd.DataFrame) -> np.ndarray:
    """Per row of a segments table (track_id, first_frame, last_frame): the value held by most of the
    segment's points in `values` (one per-point array per track, e.g. the true alpha)."""
    import numpy as np

    truth = np.empty(len(seg))
    for i, (k, a, b) in enumerate(zip(seg.track_id, seg.first_frame, seg.last_frame)):
        v, counts = np.unique(values[k][int(a):int(b) + 1], return_counts=True)
        truth[i] = v[np.argmax(counts)]
    return truth


def segment_rows(x, alpha, model: str = "diffusion-model", workers: int = 2) -> pd.DataFrame:
    """One row per reported segment of `uandi.segment(x)` (alpha-all beside `model`): method, class
    called, sureness, length, the network's alpha and the reported alpha and alpha_se, and the true alpha
    of most of its points. x : (N, L, 2) or a list of (L_i, 2); alpha : matching per-point true exponents."""
    import pandas as pd

    import uandi
    from uandi.postprocess import LIKELIHOOD_SETTINGS

    _, seg = uandi.segment(list(x) if not isinstance(x, list) else x, weights={"model": model}, workers=workers)
    truth = segment_truth(alpha, seg)
    method = seg.alpha_method.astype(str)
    return pd.DataFrame({"network": method.str.startswith("network").to_numpy(), "called": seg.model.to_numpy(),
                         "sure": (seg.probability >= LIKELIHOOD_SETTINGS["min_probability"]).to_numpy(),
                         "length": seg.length.to_numpy(), "alpha": seg.alpha.to_numpy(),
                         "alpha_network": seg.alpha_network.to_numpy(), "alpha_se": seg.alpha_se.to_numpy(),
                         "truth": truth, "short": (seg.length < LIKELIHOOD_SETTINGS["min_points"]).to_numpy()})


def calibration_rows(n: int, model: str = "diffusion-model") -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from uandi.simulate import dataset

    rows = []
    for length in CAL_LENGTHS:
        rng = np.random.default_rng([71, length])
        d = dataset("model", n, length, rng, flavor=["uandi", "andi"], noise=rng.uniform(0, 0.5, n),
                    brownian_share=0.3, diffusion_factor=(0.5, 2.0))
        rows.append(segment_rows(d.x, d.alpha, model))
    return pd.concat(rows, ignore_index=True)


def check_sets(n: int, andi_sets: list[str]) -> list[tuple[str, int, np.ndarray, np.ndarray]]:
    import numpy as np

    from uandi.simulate import dataset

    sets = []
    for length in (200, 500):
        for name, flavor, noise, seed in (("ours", "uandi", 0.0, 72), ("ours, noise 0.1", "uandi", 0.1, 73),
                                          ("ours, noise 0.3", "uandi", 0.3, 75), ("andi flavour", "andi", 0.0, 74)):
            d = dataset("model", n, length, np.random.default_rng([seed, length]), flavor=flavor, noise=noise)
            sets.append((name, length, d.x, d.alpha))
    for path in andi_sets:
        f = np.load(path)
        sets.append(("andi-datasets", f["x"].shape[1], f["x"][:n], f["alpha"][:n]))
    return sets


def coverage(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    """(share held, MAE, median alpha_se, count) of rows with an error bar."""
    import numpy as np

    r = rows[np.isfinite(rows.alpha_se)]
    err = np.abs(r.alpha - r.truth)
    return float(np.mean(err <= 1.96 * r.alpha_se)), float(err.mean()), float(r.alpha_se.median()), len(r)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-cal", type=int, default=1500, help="calibration tracks per length (10 lengths)")
    ap.add_argument("--n-check", type=int, default=1000, help="tracks per check set")
    ap.add_argument("--andi-sets", default="", help="comma-separated .npz files from benchmarks/andi_sets.py")
    ap.add_argument("--model", default="diffusion-model", help="the diffusion-model network (beside alpha-all)")
    ap.add_argument("--write-table", action="store_true",
                    help="write this pair's table into src/uandi/weights/alpha-network-error.json (the same alpha "
                         "network's other pairs kept)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="docs/alpha_models.md")
    a = ap.parse_args(argv)
    pin_threads(a.threads)
    import torch

    torch.set_num_threads(a.threads)
    from uandi import alpha_error
    from uandi.predict import load
    from uandi.weights import default_network

    t0 = time.time()
    cal = calibration_rows(a.n_cal, a.model)
    net = cal[cal.network]
    table = alpha_error.calibrate(net.called, net.sure, net.length, net.alpha - net.truth)
    alpha_net, model_net = load(default_network("alpha", ("alpha", "model"))), load(a.model)
    table.update(alpha_network_sha256=alpha_net.card["sha256"], model_network_sha256=model_net.card["sha256"],
                 alpha_network=default_network("alpha", ("alpha", "model")), model_network=a.model,
                 command=reproduce_command("alpha_error.py", ap, a), calibration_segments=int(len(net)))
    if a.write_table:
        path = Path(str(resources.files("uandi.weights") / alpha_error.TABLE_FILE))
        pair = (table["alpha_network_sha256"], table["model_network_sha256"])
        # other pairs of the same alpha network stay; tables of an alpha network no longer shipped go
        others = [t for t in alpha_error.shipped_tables()
                  if (t["alpha_network_sha256"], t["model_network_sha256"]) != pair
                  and t["alpha_network_sha256"] == pair[0]]
        path.write_text(json.dumps({"tables": [table, *others]}, indent=1) + "\n")
        print(f"wrote {path}")
    t_cal = time.time() - t0

    check = []
    for name, length, x, alpha in check_sets(a.n_check, [p for p in a.andi_sets.split(",") if p]):
        rows = segment_rows(x, alpha, a.model)
        if not a.write_table:  # the shipped table is the old one: apply the new one here
            mine = rows.network.to_numpy()
            rows.loc[mine, "alpha_se"] = alpha_error.lookup(table, rows.called[mine], rows.sure[mine],
                                                            rows.length[mine])
        check.append((name, length, rows))
    t_all = time.time() - t0

    lines = [f"`{table['command']}` ({a.threads} threads, {t_all / 60:.0f} min; calibration {t_cal / 60:.0f} min, "
             f"{len(net)} segments with the network's alpha out of {len(cal)})", ""]
    header = ["set", "L", "network's segments", "held", "MAE", "median alpha_se", "ATTM", "CTRW", "LW",
              "FBM or SBM, doubtful", "likelihood's segments: held", "MAE"]
    body = []
    for name, length, rows in check:
        net_rows, lik = rows[rows.network], rows[~rows.network]
        held, mae, se, count = coverage(net_rows)
        per = []
        for part in (net_rows[(net_rows.called == m) & ~net_rows.short] for m in ("attm", "ctrw", "lw")):
            per.append(f"{coverage(part)[0]:.3f} ({len(part)})" if len(part) else "")
        doubt = net_rows[net_rows.called.isin(["fbm", "sbm"]) & ~net_rows.short]
        per.append(f"{coverage(doubt)[0]:.3f} ({len(doubt)})" if len(doubt) else "")
        lk_held, lk_mae, _, _ = coverage(lik)
        body.append([name, str(length), f"{count} of {len(rows)}", f"{held:.3f}", f"{mae:.3f}", f"{se:.3f}", *per,
                     f"{lk_held:.3f}", f"{lk_mae:.3f}"])
    n_short = sum(int(rows.short.sum()) for _, _, rows in check)
    lines += ["The network's segments: the share whose interval alpha +- 1.96 alpha_se held the true alpha of most "
              "of their points (by class called, with the count), their MAE and median alpha_se; beside them, the "
              f"exact likelihoods' segments (FBM and SBM, sure). Segments under 10 points among them: {n_short} "
              "(none in the class columns).", "", *markdown_table(header, body), ""]
    cells = []
    for name, row in table["cells"].items():
        for key in ("sure", "doubtful"):
            ses = [f"{c['se']:.3f}" if c else "" for c in row[key]]
            cells.append([name, key, *ses])
    edges = table["edges"] + ["inf"]
    lines += ["The table (`src/uandi/weights/alpha-network-error.json`): alpha_se by class called, sure (probability "
              ">= 0.85) or doubtful, and segment length in points:", "",
              *markdown_table(["class", "", *[f"{lo}-{hi}" for lo, hi in zip(edges[:-1], edges[1:])]], cells)]
    body_text = "\n".join(lines)
    print(body_text)
    write_block(a.out, "alpha_error", body_text)


if __name__ == "__main__":
    main()
