"""What the learning-rate widgets share: ``run()`` and ``show()``, the course defaults, copies with a preset, live
throttling."""

import copy
import time

from ..engine.forgetting import as_meter
from ..engine.freezing import freeze_exactly
from ..kit.course import PRESETS, course_model, forgetting_meter, validation_task
from ..labs.learning_rate import IMAGES_PER_DIGIT
from .ownership import using
from .runner import RunsItsJob


def course_defaults(model, train, val, source):
    """Fill what was not given with the course's own: its model (and its forgetting meter), Digits-M (10 images per
    digit) and a validation set drawn from the labelled pool (the test set never picks a rate). ``source`` (the old
    task) becomes a meter with ``accuracy(model)``."""
    if model is None or train is None:
        course_train, course_val = validation_task(IMAGES_PER_DIGIT)
        if model is None:
            model = course_model()
            source = source if source is not None else forgetting_meter()
        train = train if train is not None else course_train
        val = val if val is not None else course_val
    return model, train, val, as_meter(source)


def copy_with(model, owner, frozen=()):
    """A copy of ``model`` (taken while ``owner`` holds it: never half-way through another widget's run) with
    the parts in ``frozen`` frozen and every other part trainable."""
    with using(model, owner):
        duplicate = copy.deepcopy(model)
    return freeze_exactly(duplicate, frozen)


def preset(name):
    """The blocks a named preset freezes."""
    return PRESETS[name]


def throttle(seconds=0.3):
    """A function that says True at most once every ``seconds``: live plots redraw, but not every step."""
    last = [0.0]

    def due():
        now = time.perf_counter()
        if now - last[0] >= seconds:
            last[0] = now
            return True
        return False

    return due


def train_in_turn(settings, make_trainer, steps, progress, stop, say_which=False, eval_every=None):
    """Train one run per ``label -> setting``, one after another, for ``steps`` each; returns the histories.

    Progress covers all runs together; Stop ends the run in progress and skips the rest. ``eval_every``: evaluate
    every so many steps (default: only at the end).
    """
    runs = {}
    for i, (label, setting) in enumerate(settings.items()):
        trainer = make_trainer(setting)

        def live(history, i=i, trainer=trainer, label=label):
            progress((i + len(history.loss) / steps) / len(settings), f"Training: {label}" if say_which else "")
            if stop.is_set():
                trainer.stop()

        runs[label] = trainer.fit(steps, callback=live, eval_every=eval_every or steps,
                                  eval_at_start=eval_every is not None)
        if stop.is_set():
            break
    return runs


class Runs(RunsItsJob):
    """``run()`` and ``close()`` (from :class:`~widgets.ui.runner.RunsItsJob`) and ``show()`` for a widget whose
    ``runner`` (a ``BackgroundRunner``) leaves its outcome in ``result`` and whose ``_show(result)`` draws it (and
    returns the status line)."""

    def show(self, result):
        """Draw ``result`` (what ``run()`` returns, e.g. computed by an experiment with the widget's settings) without
        training; returns it."""
        self.runner.say(self._show(result) or "")
        self.runner.bar.value = 1.0
        return result
