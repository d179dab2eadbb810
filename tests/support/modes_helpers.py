"""Shared by the learning-mode tests: a clock tests move by hand, and the wrong option of an item."""


class FakeClock:
    """Seconds that pass only when a test says so. ``days`` moves a whole number of days."""

    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds

    def days(self, n):
        self.now += 86400 * n


def wrong_index(item):
    return next(k for k, o in enumerate(item["options"]) if not o["correct"])


def play_round(view, clock, seconds=5, right=True):
    """Answer every problem of a Challenge view still open: Start, wait ``seconds``, submit the right option
    (or a wrong one until its attempts run out)."""
    from widgets.modes.choice import right_index

    for i, problem in enumerate(view.set.problems):
        view.go_to(i)
        if view.set.state(i).status == "new":
            view.start_button.click()
        while view.set.state(i).status == "running":
            clock.advance(seconds)
            view.choose(right_index(problem) if right else wrong_index(problem))
            view.submit_button.click()
