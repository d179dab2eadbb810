"""Seeded sections: another thread's seeding or restoring never lands between a section's seed and its draws."""

import threading
import time

import pytest
import torch

from widgets.engine import seeding
from widgets.kit.course import course_model
from widgets.labs.metrics import train_run


def draws(seed, n=3):
    return torch.rand(n, generator=torch.Generator().manual_seed(seed))


def test_a_seeded_section_draws_its_seeds_numbers_and_gives_the_callers_state_back():
    torch.manual_seed(7)
    expected_next = torch.rand(2, generator=torch.Generator().manual_seed(7))
    with seeding.seeded(1):
        assert torch.equal(torch.rand(3), draws(1))
    assert torch.equal(torch.rand(2), expected_next)


def test_another_threads_run_cannot_seed_or_restore_in_the_middle_of_a_section():
    entered = threading.Event()

    def a_short_run():
        entered.set()
        with seeding.seeded_run(5):
            pass

    with seeding.seeded(1):
        first = torch.rand(3)
        other = threading.Thread(target=a_short_run)
        other.start()
        entered.wait()
        other.join(timeout=0.5)
        assert other.is_alive(), "the other thread seeded while this section was drawing"
        rest = torch.rand(3)
    other.join()
    assert torch.equal(torch.cat([first, rest]), draws(1, 6))


@pytest.mark.slow
def test_a_run_in_the_background_leaves_every_model_built_meanwhile_as_its_seed_says():
    """What a learner does: press Train, then run the next cell. Short runs in a loop seed and restore torch's
    generator hundreds of times; before the lock, about 3% of the heads built meanwhile came out different."""
    expected = course_model(seed=1).head.weight.clone()
    stop = threading.Event()

    def train_in_the_background():
        while not stop.is_set():
            train_run(5, 3, 1e-3, seed=0, evaluations=1, measure_start=False)

    background = threading.Thread(target=train_in_the_background)
    background.start()
    built, different = 0, 0
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            built += 1
            different += not torch.equal(course_model(seed=1).head.weight, expected)
    finally:
        stop.set()
        background.join()
    assert built > 10 and different == 0
