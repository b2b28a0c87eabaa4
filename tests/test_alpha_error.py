"""Error bars for the network's alpha (uandi.alpha_error): the table's arithmetic, that the shipped table
belongs to the shipped networks, and that the product's intervals hold the truth as often as they say."""

import numpy as np
import pytest

import uandi
from uandi.alpha_error import LENGTH_EDGES, MIN_CELL, calibrate, lookup, network_alpha_error_table
from uandi.postprocess import brownian_notice
from uandi.simulate import dataset


def test_calibrate_gives_the_se_whose_interval_holds_95_percent():
    """Gaussian errors of spread s in each cell: the 95th percentile of |error| / 1.96 is s, within the
    percentile's sampling error (about 3 % of s at 2,000 errors per cell)."""
    rng = np.random.default_rng(0)
    n = 2000
    spread = {("ctrw", True): 0.1, ("ctrw", False): 0.3, ("lw", True): 0.2}
    called, sure, length, error = [], [], [], []
    for (name, flag), s in spread.items():
        for lo, hi in zip(LENGTH_EDGES[1:], (*LENGTH_EDGES[2:], 640)):
            called += [name] * n
            sure += [flag] * n
            length += rng.integers(lo, hi, n).tolist()
            error += (s * rng.standard_normal(n)).tolist()
    table = calibrate(called, sure, length, error)
    for (name, flag), s in spread.items():
        cells = table["cells"][name]["sure" if flag else "doubtful"]
        for b, cell in enumerate(cells):
            assert cell["se"] == pytest.approx(s, rel=0.1)
            # bin 0 (under 10 points) holds none: it pools the next bin; the others stand alone
            assert cell["from"] == ([0, 1] if b == 0 else [b, b])
    assert table["cells"]["lw"]["doubtful"] == [None] * len(LENGTH_EDGES)  # no doubtful LW at all
    se = lookup(table, ["ctrw", "ctrw", "lw", "lw", "attm"], [True, False, True, False, True], [50, 50, 500, 50, 50])
    np.testing.assert_allclose(se[:3], [table["cells"]["ctrw"]["sure"][3]["se"],
                                        table["cells"]["ctrw"]["doubtful"][3]["se"],
                                        table["cells"]["lw"]["sure"][-1]["se"]])
    assert np.isnan(se[3:]).all()  # a cell or a class the calibration never met: no error bar


def test_a_thin_cell_borrows_from_its_nearest_lengths():
    """A length bin with too few calibration segments pools its neighbours until it has MIN_CELL."""
    rng = np.random.default_rng(1)
    length = np.r_[np.full(MIN_CELL // 2, 30), np.full(MIN_CELL, 60), np.full(MIN_CELL, 120)]
    error = np.r_[np.full(MIN_CELL // 2, 1.0), rng.uniform(-0.1, 0.1, 2 * MIN_CELL)]
    table = calibrate(["sbm"] * len(length), [False] * len(length), length, error)
    cells = table["cells"]["sbm"]["doubtful"]
    assert cells[2]["from"] == [1, 3] and cells[2]["n"] == MIN_CELL + MIN_CELL // 2  # 20-40 takes 10-20 (empty), 40-80
    assert cells[3]["from"] == [3, 3] and cells[3]["se"] < 0.1 / 1.96 + 1e-12  # 40-80 alone, errors < 0.1
    assert cells[2]["se"] == pytest.approx(1.0 / 1.96)  # a third of the pooled errors are 1.0


@pytest.mark.parametrize("model", ["diffusion-model", "diffusion-model-clean"])
def test_the_shipped_tables_belong_to_the_shipped_networks(model):
    """A table was measured with alpha-all beside each shipped diffusion-model network; retraining one
    without rerunning benchmarks/alpha_error.py --write-table would fail here (the product then shows
    no error bar). Each pair finds its own table."""
    alpha, net = uandi.load("alpha-all"), uandi.load(model)
    table = network_alpha_error_table(alpha.card, net.card)
    assert table is not None and table["model_network"] == model and table["calibration_segments"] > 10_000
    for name in ("attm", "ctrw", "lw"):
        assert all(cell is not None for cell in table["cells"][name]["sure"])
    assert network_alpha_error_table(alpha.card, {"sha256": "another network"}) is None
    assert network_alpha_error_table(uandi.load("alpha").card, net.card) is None


def test_the_network_alpha_intervals_hold_the_truth_in_the_product():
    """uandi.segment on five-model tracks of a seed the calibration never used: every segment whose alpha
    is the network's has an alpha_se, and alpha +- 1.96 alpha_se holds the true alpha of most of its points
    in about 95 % of them (benchmarks/alpha_error.py: 0.96-0.97 on 2,800 segments per set without noise). Here ~680
    segments, clustered by track: a binomial sd of 0.7-0.85 %, doubled for the clustering (this set: 0.976);
    halving the error bars gives 70 %."""
    d = dataset("model", 250, 200, np.random.default_rng([2026, 12, 3]))
    _, seg = uandi.segment(d.x)
    network = seg["alpha_method"].str.startswith("network").to_numpy()
    assert network.sum() > 500
    assert seg.loc[network, "alpha_se"].notna().all()
    truth = np.array([_majority(d.alpha[k, a:b + 1]) for k, a, b in zip(seg["track_id"], seg["first_frame"], seg["last_frame"])])
    held = np.abs(seg["alpha"].to_numpy() - truth) <= 1.96 * seg["alpha_se"].to_numpy()
    assert 0.92 <= held[network].mean() <= 0.99, held[network].mean()


def _majority(values: np.ndarray) -> float:
    unique, counts = np.unique(values, return_counts=True)
    return float(unique[np.argmax(counts)])


def test_other_networks_get_no_measured_error_bar(tiny_weights):
    """The table says nothing about networks it was not measured with: their alpha keeps no error bar."""
    d = dataset("model", 4, 120, np.random.default_rng(5))
    _, seg = uandi.segment(d.x, weights=tiny_weights)
    network = seg["alpha_method"].str.startswith("network")
    assert network.any() and seg.loc[network, "alpha_se"].isna().all()


def test_the_brownian_notice_says_which_error_bar():
    brownian = np.array([[0.34, 0.0, 0.29, 0.0, 0.37]])
    assert "without an error bar" in brownian_notice(brownian, np.array([60]))
    assert "wide error bar measured on simulated tracks" in brownian_notice(brownian, np.array([60]), error_bars=True)
