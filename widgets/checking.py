"""``check``: the one-line checks a lesson runs after a result, so the learner sees what was verified.

A lesson asserts what its prose says (nbval runs every cell, so a false sentence fails the tests), but a wall of
``assert`` lines is in the learner's way. ``check`` prints one line instead:

    check(accuracy > 0.9, "the model reads its letters")          # ✓ the model reads its letters
    check(widgets.labs.transfer.starts(seeds=(0, 1, 2)))     # ✓ and the experiment's own summary
"""


class CheckFailed(AssertionError):
    """What the lesson says did not hold on this run."""


def check(condition, says=""):
    """Print ``✓ says`` when ``condition`` holds, else raise :class:`CheckFailed` with it.

    ``condition`` may be an :class:`~widgets.labs.Evidence`: its ``holds`` decides, its summary is printed.
    """
    holds = bool(getattr(condition, "holds", condition))
    text = says or getattr(condition, "summary", "") or "checked"
    if not holds:
        raise CheckFailed(f"✗ {text}")
    print(f"✓ {text}")
    if hasattr(condition, "checked"):
        condition.checked = True  # an Evidence at the end of a cell then shows nothing more
    return condition
