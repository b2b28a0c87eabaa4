"""Worker processes for the likelihood stage: the same answers as one process, and no pool where it
cannot pay."""

import numpy as np
import pytest

from uandi.likelihood import blur_evidence, fit_segments, select_changepoints
from uandi.likelihood_sbm import fit_sbm_segments
from uandi.simulate import dataset
from uandi.workers import MIN_POINTS_PER_WORKER, Packed, fork_available, small_pages, split, worker_pool

needs_fork = pytest.mark.skipif(not fork_available(), reason="worker processes start by fork (Linux)")


def test_split_is_contiguous_complete_and_balanced():
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 100, size=1000)
    for parts in (1, 2, 3, 7):
        slices = split(weights, parts)
        assert len(slices) == parts
        assert slices[0].start == 0 and slices[-1].stop == len(weights)
        assert all(a.stop == b.start for a, b in zip(slices[:-1], slices[1:]))
        sums = [weights[s].sum() for s in slices]
        assert max(sums) - min(sums) <= 2 * weights.max()  # each cut is off by at most one item
    assert split([5, 1], 4) == [slice(0, 1), slice(1, 2)]  # never an empty part
    assert split([], 2) == []


def test_packed_arrays_come_back_equal_in_order():
    """Packed (what travels to and from the workers): the same arrays, shapes, dtypes and order, the empty
    and one-row ones included; and an empty list."""
    rng = np.random.default_rng(3)
    tracks = [rng.normal(size=(n, 2)) for n in (5, 1, 300, 0, 7)]
    back = Packed.of(tracks).unpack()
    assert len(back) == len(tracks)
    for a, b in zip(tracks, back):
        assert b.shape == a.shape and b.dtype == np.float64 and np.array_equal(a, b)
    changes = [np.array([40, 90]), np.array([], dtype=np.int64), np.array([7])]
    back = Packed.of(changes, np.int64).unpack()
    assert [b.tolist() for b in back] == [[40, 90], [], [7]] and all(b.dtype == np.int64 for b in back)
    assert Packed.of([]).unpack() == []


def test_no_pool_where_it_would_not_pay():
    with worker_pool(2, 2 * MIN_POINTS_PER_WORKER - 1) as pool:
        assert pool is None  # one process's worth of points
    with worker_pool(1, 10**9) as pool:
        assert pool is None
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises(ValueError, match="workers"):
            with worker_pool(bad, 10**9):
                pass


def _tracks(n, length, seed):
    d = dataset("alpha", n, length, np.random.default_rng(seed), min_alpha_jump=0.5, noise=0.1)
    return list(d.x.astype(np.float64)), d.changepoints


@needs_fork
def test_sbm_fits_in_workers_equal_one_process():
    """The SBM fits of the default path (segments classified SBM) in chunks in the workers: every estimate
    bit for bit as in one process (each fit is its segment's own), in the input's order, a still
    particle's NaN included; a bad shape is refused before any work, naming the input's segment."""
    d = dataset("model", 30, 200, np.random.default_rng(4))
    pieces = [x[: 20 + 7 * k] for k, x in enumerate(d.x.astype(np.float64))] + [np.zeros((15, 2))]
    one = fit_sbm_segments(pieces)
    with worker_pool(2, 10**9) as pool:
        two = fit_sbm_segments(pieces, workers=pool)
        with pytest.raises(ValueError, match="segment 3:"):
            fit_sbm_segments(pieces[:3] + [np.zeros((2, 2))] + pieces[3:], workers=pool)
    for name in ("alpha", "alpha_se", "K", "K_se", "clock_offset", "loglik", "n", "at_bound"):
        assert np.array_equal(getattr(one, name), getattr(two, name), equal_nan=True), name
    assert np.isnan(two.alpha[-1])


@needs_fork
def test_fits_in_workers_equal_one_process():
    """Whole tracks go to one process each: every estimate as in one process (float32 products batch
    differently: to 1e-4), in the input's order, for the track search, a known error and blur's fits."""
    tracks, cps = _tracks(40, 200, 1)
    pieces, owner = [], []
    for k, (x, c) in enumerate(zip(tracks, cps)):
        ends = [0, *c.tolist(), len(x)]
        for a, b in zip(ends[:-1], ends[1:]):
            pieces.append(x[max(a - 1, 0) : b])
            owner.append(k)
    order = np.random.default_rng(2).permutation(len(pieces))  # groups need not be contiguous
    pieces, owner = [pieces[i] for i in order], np.array(owner)[order]
    known = np.full(len(pieces), 0.1)
    with worker_pool(2, 10**9) as pool:
        assert pool is not None and pool.n == 2
        for kw in ({"noise": "track", "groups": owner}, {"noise": known}, {"noise": False}):
            one, many = fit_segments(pieces, **kw), fit_segments(pieces, workers=pool, **kw)
            for name in ("alpha", "alpha_se", "K", "sigma", "loglik"):
                np.testing.assert_allclose(getattr(many, name), getattr(one, name), rtol=1e-4, atol=1e-4,
                                           err_msg=f"{name} with {sorted(kw)}")
            np.testing.assert_array_equal(many.n, one.n)
        one, many = blur_evidence(tracks), blur_evidence(tracks, workers=pool)
        np.testing.assert_allclose(many.gain, one.gain, atol=1e-3)


@needs_fork
def test_changepoints_in_workers_equal_one_process():
    """The span scores and posteriors are per track; the rate that couples the tracks is computed from
    all of them: the same changepoints, evidence and posteriors with workers as without."""
    tracks, cps = _tracks(60, 300, 3)
    rng = np.random.default_rng(4)
    cands = [np.union1d(c, rng.integers(15, 285, size=4)) for c in cps]
    kw = dict(penalty=5.0, place=9, evidence=True, posteriors=True, penalty_slope=2.0)
    info_one, info_many = {}, {}
    chosen, evidence, post = select_changepoints(tracks, cands, info=info_one, **kw)
    with worker_pool(2, 10**9) as pool:
        chosen_w, evidence_w, post_w = select_changepoints(tracks, cands, info=info_many, workers=pool, **kw)
    assert sum(len(c) for c in chosen) > 40  # the tracks hold changes to find
    for a, b in zip(chosen, chosen_w):
        np.testing.assert_array_equal(a, b)
    assert info_many["penalty"] == pytest.approx(info_one["penalty"])
    for a, b in zip(evidence, evidence_w):
        np.testing.assert_allclose(a, b, atol=0.05)
    for per, per_w in zip(post, post_w):
        for p, q in zip(per, per_w):
            np.testing.assert_array_equal(p.positions, q.positions)
            np.testing.assert_allclose(p.probability, q.probability, atol=1e-3)


@needs_fork
def test_candidates_in_workers_equal_one_process():
    """The likelihood's candidate changepoints (alpha contrast, known ones, step size) found in chunks in
    the workers: the same arrays, in the input's order, for tracks of several lengths (grouped by length
    inside each chunk) and a track too short for any window."""
    from uandi.postprocess import LIKELIHOOD_SETTINGS, _candidates, _candidates_in_workers

    tracks, cps = _tracks(40, 300, 5)
    tracks = [x[: 100 + 5 * k] for k, x in enumerate(tracks)] + [tracks[0][:12]]
    rng = np.random.default_rng(6)
    alpha = [np.clip(1 + 0.3 * rng.standard_normal(len(x)).cumsum() / 10, 0, 2) for x in tracks]
    known = [c[c < len(x) - 10] for c, x in zip(cps, tracks)] + [np.zeros(0, np.int64)]
    one = _candidates(tracks, alpha, known, LIKELIHOOD_SETTINGS, 10)
    with worker_pool(2, 10**9) as pool:
        many = _candidates_in_workers(pool, tracks, alpha, known, LIKELIHOOD_SETTINGS, 10)
    assert len(many) == len(tracks) and sum(len(c) for c in one) > 2 * len(tracks)  # candidates to compare
    for a, b in zip(one, many):
        assert b.dtype == np.int64
        np.testing.assert_array_equal(a, b)


@needs_fork
def test_a_worker_that_dies_raises_instead_of_hanging():
    """The out-of-memory killer ends a worker without an answer: the stage must fail with a message
    that says what to do, not wait forever."""
    import os

    with worker_pool(2, 10**9) as pool:
        with pytest.raises(MemoryError, match="--workers"):
            pool.starmap(os._exit, [(1,), (1,)])


def _pool_inside_a_worker(_):
    with worker_pool(2, 10**9) as pool:
        return pool is None


@needs_fork
def test_inside_a_users_pool_worker_the_stage_stays_in_process():
    """A lab segmenting many files with multiprocessing.Pool calls us inside daemonic workers, which may
    not start processes of their own: the stage must run in place there, not fail."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as outer:
        assert outer.map(_pool_inside_a_worker, [0]) == [True]


def _fails():
    raise ValueError("warming failed")


@needs_fork
def test_warm_tasks_run_first_and_their_errors_surface():
    """Workers.warm queues a task per process without waiting; the next starmap still answers in
    order, and raises a warm task's error rather than losing it."""
    with worker_pool(2, 10**9) as pool:
        pool.warm(abs, -3)
        assert pool.starmap(abs, [(-1,), (2,), (-5,)]) == [1, 2, 5]
        assert pool.warming == []  # checked and cleared
        pool.warm(_fails)
        with pytest.raises(ValueError, match="warming failed"):
            pool.starmap(abs, [(1,)])


def test_warmed_factors_are_all_the_stage_asks_for():
    """warm_factors' grids (what each worker computes while the parent works alone) are the single-
    precision factors that choosing changepoints and the fits with the track's noise then use: after the
    warm task, the stage computes none of its own (if it did, the warming would be wasted)."""
    import uandi.likelihood as lk

    class Capture:  # a stand-in pool: runs the warm task here
        n = 2

        def warm(self, fn, *args):
            fn(*args)

    tracks, cps = _tracks(40, 500, 3)
    lk.clear_caches()
    lk.warm_factors(Capture(), 500, 0.0, "track")
    made = []
    original = lk._inverse_factors
    lk._inverse_factors = lambda g, dtype=np.float64: made.append(np.dtype(dtype)) or original(g, dtype)
    try:
        chosen = select_changepoints(tracks, cps, penalty=5.0, place=9, posteriors=True)[0]
        pieces = [t[a:b] for t, c in zip(tracks, chosen) for a, b in zip([0, *c], [*c, len(t)])]
        owner = [k for k, c in enumerate(chosen) for _ in range(len(c) + 1)]
        fit_segments(pieces, noise="track", groups=owner)
    finally:
        lk._inverse_factors = original
        lk.clear_caches()
    assert np.dtype(np.float32) not in made


def test_small_pages_turns_numpys_huge_pages_off_for_the_block_and_back():
    """numpy's transparent-huge-page flag (private, since numpy 1.19; the pinned numpy has it) is off
    inside the block and as it was after it, also when the block raises."""
    toggle = np._core.multiarray._set_madvise_hugepage
    before = toggle(True)
    try:
        with small_pages():
            assert toggle(False) is False  # the flag inside the block
        assert toggle(True) is True  # restored
        with pytest.raises(RuntimeError), small_pages():
            raise RuntimeError("inside")
        assert toggle(True) is True
    finally:
        toggle(before)

