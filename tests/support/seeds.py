"""One random state for every test: imported by the conftest of each folder whose tests draw random numbers."""

import random

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def same_random_state_for_every_test():
    """Seed torch's, Python's and numpy's global generators before each test.

    Building a model draws its first weights, a shuffled label draws a permutation: from the global generators, in
    whatever state the tests before left them. Seeded here, a test draws the same numbers alone, in the full run and
    in any order (``-p randomly``). A test whose numbers matter to what it asserts seeds them itself, where they are
    drawn, so that it reads whole.
    """
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
