"""Shared pytest fixtures."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test: results do not depend on test order."""
    return np.random.default_rng(20240611)
