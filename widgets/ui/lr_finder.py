"""LRFinder: the LR range test as a widget, run on the learner's own model and put back exactly afterwards.

ipywidgets wiring only: the test is ``widgets.engine.finder.lr_range_test``. What the widget says about the model
is checked, not assumed: it compares the whole training state before and after. The settings (``start``, ``end``,
``steps``, ``preset``) are traitlets, checked once where they are set: ``observe`` them, or ``ipywidgets.link``
them.
"""

import html

import ipywidgets as ipw
import traitlets

from ..engine import checks
from ..engine.finder import checked_range, lr_range_test
from ..engine.freezing import snapshot
from ..figures import training as figs
from ..kit.course import PRESETS
from .inputs import Rate, TypedBoxes, rate_box
from .messages import ERROR, friendly, message_html
from .ownership import using
from .runner import BackgroundRunner
from .training_runs import Runs, course_defaults, preset


class LRFinder(Runs, ipw.VBox):
    """The LR range test: exponential sweep, smoothed loss, two suggestions; the model put back exactly."""

    display_name = "LRFinder"
    start = Rate(1e-6, what="start rate")
    end = Rate(1.0, what="end rate")
    steps = traitlets.Int(60)
    preset = traitlets.Unicode("all layers")

    def __init__(self, model=None, train=None, preset="all layers", start=1e-6, end=1.0, steps=60, seed=0):
        super().__init__()
        with self.hold_trait_notifications():  # checked together when all are set: the end above the start
            self.start, self.end, self.steps, self.preset = start, end, steps, preset
        self.model, self.train, _, _ = course_defaults(model, train, None, None)
        self.seed = seed
        self.result = None
        self.model_note = ""
        self.message = ipw.HTML()
        self.boxes = TypedBoxes(self, self.say)
        self.start_box, self.end_box = (self.boxes.tie(rate_box(label, getattr(self, name), width="160px"), name,
                                                       shown=lambda lr: f"{lr:g}")
                                        for label, name in (("from", "start"), ("to", "end")))
        self.steps_box = self.boxes.tie(ipw.IntText(description="steps", layout=ipw.Layout(width="160px")), "steps")
        self.preset_box = ipw.Dropdown(options=list(PRESETS), description="train")
        traitlets.link((self, "preset"), (self.preset_box, "value"))
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Find", start_icon="search",
                                       on_start=self._clear)
        self.fig = figs.finder_figure(widget=True)
        self.explanation = ipw.HTML("<i>Press Find: the rate grows every batch until the loss blows up.</i>")
        self.children = [ipw.HBox([self.start_box, self.end_box, self.steps_box, self.preset_box]), self.message,
                         self.runner, self.fig, self.explanation]

    # ---- settings, validated once ------------------------------------------------------------------------------
    def _checked(self, name, value):
        """``value`` for ``name``, checked with the other two settings as the range test checks them."""
        settings = {"start": self.start, "end": self.end, "steps": self.steps, name: value}
        return dict(zip(settings, checked_range(**settings)))[name]

    @traitlets.validate("start", "end", "steps")
    def _valid_range(self, proposal):
        return self._checked(proposal["trait"].name, proposal["value"])

    @traitlets.validate("preset")
    def _valid_preset(self, proposal):
        return checks.choice(proposal["value"], "preset", list(PRESETS))

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour) if text else ""

    def settings(self):
        """``(start, end, steps, frozen blocks)``; a value still wrong in a box is raised (``SettingError``)."""
        self.boxes.refuse_if_any()
        return self.start, self.end, self.steps, preset(self.preset)

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
        trained = "the new head alone" if self.preset == "head only" else f"{self.preset} trainable"
        self.explanation.value = html.escape(result.message) + (
            f"<br>Suggested starting rate, with {html.escape(trained)}: <b>{result.suggestion:.0e}</b> (a tenth of the "
            "rate with the lowest smoothed loss). The test reads only this task's training loss: it does not measure "
            "how much the pre-trained blocks forget. Use it for the head; give pre-trained blocks lower rates.")
        ended = {"stopped": "Stopped.", "blew up": "Done: the loss blew up.", "end rate": "Done."}[result.ended]
        note, self.model_note = self.model_note, ""  # said once, with its own test: show(result) alone touches no model
        return f"{ended} {note}".strip()
