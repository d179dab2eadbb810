"""widgets.check: one ✓ line per check, a failure that says what did not hold, and no wall of numbers after it."""

import pytest

import widgets
from widgets.checking import CheckFailed
from widgets.labs import evidence


def test_a_condition_that_holds_prints_one_line(capsys):
    assert widgets.check(2 > 1, "two is more than one") is True
    assert capsys.readouterr().out == "✓ two is more than one\n"


def test_a_condition_that_fails_raises_with_what_it_says():
    with pytest.raises(CheckFailed, match="✗ the model reads its letters"):
        widgets.check(False, "the model reads its letters")


def test_evidence_prints_its_summary_and_is_not_shown_again_at_the_end_of_a_cell(capsys):
    found = evidence(True, (0, 1, 2), "55.0% ± 2.1 (3 seeds)", accuracy=[0.53, 0.55, 0.57])
    found._ipython_display_()  # shown on its own, before any check: its one-line summary
    assert capsys.readouterr().out == "✓ 55.0% ± 2.1 (3 seeds)\n"
    assert widgets.check(found) is found
    found._ipython_display_()  # what Jupyter does with a cell's last value: nothing more after the check
    assert capsys.readouterr().out == "✓ 55.0% ± 2.1 (3 seeds)\n"


def test_evidence_that_does_not_hold_fails_its_check():
    with pytest.raises(CheckFailed, match="✗ 40%"):
        widgets.check(evidence(False, (0, 1, 2), "40%", accuracy=[0.4, 0.4, 0.4]))
