"""LRFinder: the LR range test as a widget, run on the learner's own model and put back exactly afterwards.

ipywidgets wiring only: the test is ``widgets.engine.finder.lr_range_test``. What the widget says about the model
is checked, not assumed: it compares the whole training state before and after.
"""

import html

import ipywidgets as ipw

from ..engine import checks
from ..engine.finder import lr_range_test
from ..engine.freezing import snapshot
from ..figures import training as figs
from ..kit.course import PRESETS
from .messages import friendly
from .ownership import using
from .runner import BackgroundRunner
from .training_runs import Runs, course_defaults, preset


class LRFinder(Runs, ipw.VBox):
    """The LR range test: exponential sweep, smoothed loss, two suggestions; the model put back exactly."""

    display_name = "LRFinder"

    def __init__(self, model=None, train=None, preset="all layers", start=1e-6, end=1.0, steps=60, seed=0):
        start, end = checks.rate(start, "start rate"), checks.rate(end, "end rate")
        steps = checks.steps(steps)
        checks.choice(preset, "preset", list(PRESETS))
        self.model, self.train, _, _ = course_defaults(model, train, None, None)
        self.seed = seed
        self.result = None
        self.model_note = ""
        self.start = ipw.Text(value=f"{start:g}", description="from", layout=ipw.Layout(width="160px"))
        self.end = ipw.Text(value=f"{end:g}", description="to", layout=ipw.Layout(width="160px"))
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.preset = ipw.Dropdown(options=list(PRESETS), value=preset, description="train")
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Find", start_icon="search",
                                       on_start=self._clear)
        self.fig = figs.finder_figure(widget=True)
        self.explanation = ipw.HTML("<i>Press Find: the rate grows every batch until the loss blows up.</i>")
        super().__init__([ipw.HBox([self.start, self.end, self.steps, self.preset]), self.runner, self.fig,
                          self.explanation])

    def settings(self):
        """``(start, end, steps, frozen blocks)``, checked; a ``SettingError`` says what is wrong."""
        return (checks.rate(self.start.value, "start rate"), checks.rate(self.end.value, "end rate"),
                checks.steps(self.steps.value), preset(self.preset.value))

    def _clear(self):
        self.result = None
        self.explanation.value = ""
        self.fig.data = []

    def _job(self, progress, stop):
        start, end, steps, frozen = self.settings()
        with using(self.model, self):
            before = snapshot(self.model)
            try:
                return lr_range_test(self.model, self.train, start=start, end=end, steps=steps, seed=self.seed,
                                     stop=stop, frozen=frozen, progress=progress)
            except Exception as error:  # whatever ended the test, the message says what became of the model
                raise checks.SettingError(f"{friendly(error)} {self._model_state(before)}") from error
            finally:
                self.model_note = self._model_state(before)

    def _model_state(self, before):
        changed = before.differences(self.model)
        if changed:  # never expected: say so rather than claim otherwise
            return f"Warning: the model's {', '.join(changed)} differ from before the test."
        return ("The model is exactly as before: weights, BatchNorm statistics, frozen flags, modes, gradients, "
                "device and memory layout.")

    def _show(self, result):
        self.result = result
        figs.update_finder(self.fig, result)
        trained = "the new head alone" if self.preset.value == "head only" else f"{self.preset.value} trainable"
        self.explanation.value = html.escape(result.message) + (
            f"<br>Suggested starting rate, with {html.escape(trained)}: <b>{result.suggestion:.0e}</b> (a tenth of the "
            "rate with the lowest smoothed loss). The test reads only this task's training loss: it does not measure "
            "how much the pre-trained blocks forget. Use it for the head; give pre-trained blocks lower rates.")
        ended = {"stopped": "Stopped.", "blew up": "Done: the loss blew up.", "end rate": "Done."}[result.ended]
        return f"{ended} {self.model_note}"
