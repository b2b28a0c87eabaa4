"""Hand-computed cases for uandi.metrics."""

import numpy as np
import pytest

from uandi.metrics import (
    changepoint_scores,
    confusion_matrix,
    dice_per_class,
    macro_dice,
    mae,
    mae_by_alpha,
    match_changepoints,
    mdice,
)


def test_mae_array():
    pred = np.array([[0.1, 0.5], [1.0, 2.0]])
    true = np.array([[0.2, 0.5], [0.5, 1.0]])
    assert mae(pred, true) == pytest.approx((0.1 + 0 + 0.5 + 1.0) / 4)


def test_mae_pools_points_of_ragged_lists():
    pred = [np.array([1.0]), np.array([0.0, 0.0, 0.0])]
    true = [np.array([0.5]), np.array([0.0, 0.0, 1.0])]
    # pooled over the 4 points, not averaged per trajectory ((0.5 + 1/3) / 2)
    assert mae(pred, true) == pytest.approx(1.5 / 4)


@pytest.mark.parametrize(
    "pred, true, match",
    [
        (np.zeros((2, 3)), np.zeros((2, 4)), "same shape"),
        ([np.zeros(3)], [np.zeros(3), np.zeros(2)], "same number"),
        ([np.zeros(3), np.zeros(2)], [np.zeros(3), np.zeros(3)], "trajectory 1"),
        (np.zeros(0), np.zeros(0), "no points"),
    ],
)
def test_mae_bad_shapes(pred, true, match):
    with pytest.raises(ValueError, match=match):
        mae(pred, true)


def test_mae_by_alpha():
    true = np.array([0.2, 0.8, 1.5, 2.0, 2.5])
    pred = np.array([0.3, 0.4, 1.5, 1.0, 0.0])
    out = mae_by_alpha(pred, true, bins=[0.0, 1.0, 2.0])
    np.testing.assert_allclose(out["edges"], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(out["centers"], [0.5, 1.5])
    # bin [0,1): errors 0.1, 0.4; bin [1,2] (closed): errors 0, 1.0; alpha 2.5 is outside
    np.testing.assert_allclose(out["mae"], [0.25, 0.5])
    np.testing.assert_array_equal(out["counts"], [2, 2])


def test_mae_by_alpha_empty_bin_and_default_bins():
    out = mae_by_alpha([0.5, 2.0], [0.5, 2.5], bins=[0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(out["mae"], [0.0, np.nan, 0.5])
    np.testing.assert_array_equal(out["counts"], [1, 0, 1])

    out = mae_by_alpha([0.1, 1.0], [0.05, 2.0])
    assert out["edges"].shape == (21,) and out["edges"][0] == 0.05 and out["edges"][-1] == 2.0
    assert out["counts"][0] == 1 and out["counts"][-1] == 1 and out["counts"].sum() == 2
    np.testing.assert_allclose(out["mae"][[0, -1]], [0.05, 1.0])


def test_mae_by_alpha_bad_bins():
    with pytest.raises(ValueError, match="bins"):
        mae_by_alpha([0.1], [0.1], bins=[1.0, 0.5])


def test_mdice_is_mean_per_trajectory_accuracy():
    pred = np.array([[0, 0, 1, 1], [2, 2, 2, 2]])
    true = np.array([[0, 1, 1, 1], [2, 2, 3, 3]])
    assert mdice(pred, true) == pytest.approx((0.75 + 0.5) / 2)

    # ragged: each trajectory weighs the same (pooled accuracy would be 4/6)
    pred = [np.array([0, 1]), np.array([4, 4, 4, 4])]
    true = [np.array([0, 0]), np.array([4, 4, 4, 3])]
    assert mdice(pred, true) == pytest.approx((0.5 + 0.75) / 2)


def test_mdice_equals_one_hot_dice_of_eq3():
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 5, size=(6, 40))
    true = rng.integers(0, 5, size=(6, 40))
    p, t = np.eye(5)[pred], np.eye(5)[true]  # one-hot (N, L, 5)
    eq3 = np.mean(2 * (p * t).sum(axis=(1, 2)) / (p.sum(axis=(1, 2)) + t.sum(axis=(1, 2))))
    assert mdice(pred, true) == pytest.approx(eq3)


def test_label_metrics_bad_input():
    with pytest.raises(ValueError, match="0 .. n_classes-1"):
        mdice(np.array([[0, 5]]), np.array([[0, 1]]))
    with pytest.raises(ValueError, match="integer"):
        confusion_matrix(np.array([0.0, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="same shape"):
        dice_per_class(np.array([0, 1]), np.array([0, 1, 1]))


def test_confusion_and_dice_tiny_example():
    true = np.array([0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0])
    cm = confusion_matrix(pred, true, n_classes=4)
    assert cm.dtype.kind == "i"
    np.testing.assert_array_equal(cm, [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])  # rows = true

    # class 0: 2*1/(2+2); class 1: 2*2/(3+2); class 2: 0/(0+1); class 3 absent from both
    np.testing.assert_allclose(dice_per_class(pred, true, n_classes=4), [0.5, 0.8, 0.0, np.nan])
    assert macro_dice(pred, true, n_classes=4) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_match_no_changepoints_anywhere():
    m = match_changepoints([], [])
    assert (m["tp"], m["fp"], m["fn"]) == (0, 0, 0)
    assert m["dc"].size == 0 and m["dc_all_matched"].size == 0 and m["pairs"].shape == (0, 2)


def test_match_predictions_without_truth_and_truth_without_predictions():
    m = match_changepoints([10, 50], [])
    assert (m["tp"], m["fp"], m["fn"]) == (0, 2, 0)
    m = match_changepoints([], [30])
    assert (m["tp"], m["fp"], m["fn"]) == (0, 0, 1)


def test_match_all_far_off():
    m = match_changepoints([10, 100], [40, 150])
    assert (m["tp"], m["fp"], m["fn"]) == (0, 2, 2)  # each far pair is one FP and one FN
    np.testing.assert_array_equal(m["dc_all_matched"], [-30, -50])
    assert m["dc"].size == 0


def test_match_two_predictions_near_one_truth():
    m = match_changepoints([53, 48], [50])
    assert (m["tp"], m["fp"], m["fn"]) == (1, 1, 0)
    np.testing.assert_array_equal(m["pairs"], [[1, 0]])  # prediction 48 (index 1) is paired with the truth
    np.testing.assert_array_equal(m["dc"], [-2])


def test_match_is_optimal_not_greedy():
    # greedy nearest-first pairs 20-18 (|dc| 2) and leaves 10-28 (18): 1 TP.
    # the minimal-total assignment pairs 10-18 and 20-28 (8 + 8 < 2 + 18): 2 TPs.
    m = match_changepoints([10, 20], [18, 28])
    assert (m["tp"], m["fp"], m["fn"]) == (2, 0, 0)
    np.testing.assert_array_equal(m["dc"], [-8, -8])


def test_match_threshold_is_exclusive():
    m = match_changepoints([60], [50])
    assert (m["tp"], m["fp"], m["fn"]) == (0, 1, 1)
    m = match_changepoints([59], [50])
    assert (m["tp"], m["fp"], m["fn"]) == (1, 0, 0)
    m = match_changepoints([60], [50], threshold=10.5)
    assert m["tp"] == 1


def test_match_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        match_changepoints([1], [1], threshold=0)
    with pytest.raises(ValueError, match="1D"):
        match_changepoints(np.zeros((2, 2)), [1])


def test_changepoint_scores_hand_computed():
    pred = [np.array([10, 20]), np.array([48, 53]), np.array([], dtype=int), np.array([], dtype=int)]
    true = [np.array([18, 28]), np.array([50]), np.array([30]), np.array([], dtype=int)]
    s = changepoint_scores(pred, true)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 1, 1)
    assert s["f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert s["jsc"] == pytest.approx(3 / 5)
    assert s["rmse"] == pytest.approx(np.sqrt((64 + 64 + 4) / 3))
    np.testing.assert_array_equal(s["dc"], [-8, -8, -2])


def test_changepoint_scores_empty_conventions():
    s = changepoint_scores([[], []], [[], []])
    assert s["f1"] == 1.0 and s["jsc"] == 1.0 and np.isnan(s["rmse"]) and s["dc"].size == 0
    s = changepoint_scores([[5]], [[100]])
    assert s["f1"] == 0.0 and s["jsc"] == 0.0 and np.isnan(s["rmse"])


def test_changepoint_scores_length_mismatch():
    with pytest.raises(ValueError, match="one changepoint array per trajectory"):
        changepoint_scores([[1]], [[1], [2]])
