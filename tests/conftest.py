"""Shared pytest fixtures: a seeded generator, one torch thread, the real-data folder."""

import os
from pathlib import Path

import numpy as np
import pytest

# Real tracks live outside the repository (the project's shared folder); UANDI_REAL_DATA points elsewhere.
REAL_DATA = Path(os.environ.get("UANDI_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test: results do not depend on test order."""
    return np.random.default_rng(20240611)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """The tests' networks are tiny, and one thread runs them fastest; torch's default of one thread per
    core spins against any other process on a small machine (the suite took ~9 minutes instead of ~1
    on 2 shared cores). Torch is imported only if installed."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def real_data() -> Path:
    """The folder of real track files (see its README); the test is skipped where it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} is absent (set UANDI_REAL_DATA)")
    return REAL_DATA
