"""DiscriminativeLR: one rate per block (small for early layers, large for the new head) next to one uniform rate,
and next to the same rates in reverse order (large for early layers, small for the head): the control that says
whether it is WHERE the small rates go that matters.

ipywidgets wiring only: training is the ``Trainer`` (``lr={block: rate}``), figures ``widgets.figures.training``.
The learner's model is never changed: every run trains a copy.
"""

import ipywidgets as ipw

from ..engine import checks
from ..engine.training import Trainer
from ..figures import training as figs
from ..labs import learning_rate as lab
from .inputs import code_view, rate_box
from .lr_explorer import WRAP
from .messages import ERROR, message_html, shown_in
from .runner import BackgroundRunner
from .training_runs import Runs, copy_with, course_defaults, train_in_turn


class DiscriminativeLR(Runs, ipw.VBox):
    """One rate per block, shown as bars and trained, next to one uniform rate and to the reversed rates: accuracy
    on the new task and on the old one (the forgetting meter)."""

    display_name = "DiscriminativeLR"

    def __init__(self, model=None, train=None, val=None, source=None, rates=None, uniform=lab.UNIFORM,
                 steps=lab.STEPS, seed=0):
        rates = dict(rates if rates is not None else lab.DISCRIMINATIVE)
        for name, lr in rates.items():
            checks.rate(lr, f"rate for {name}")
        uniform, steps = checks.rate(uniform, "uniform rate"), checks.steps(steps)
        self.model, self.train, self.val, self.source = course_defaults(model, train, val, source)
        self.seed = seed
        self.result = None
        self.source_before = None
        self.rate_boxes = {name: rate_box(name, lr, width="150px") for name, lr in rates.items()}
        self.uniform = rate_box("uniform", uniform, width="150px")
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.rates_fig = figs.rates_figure(widget=True)
        self.acc_fig = figs.accuracy_bars_figure(widget=True, title="Discriminative vs uniform vs reversed")
        self.code = ipw.HTML()
        self.message = ipw.HTML()
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Compare", on_start=self._clear)
        refresh = shown_in(self.say)(lambda _: self.refresh())
        for box in (*self.rate_boxes.values(), self.uniform):
            box.observe(refresh, "value")
        self.refresh()
        super().__init__([ipw.HBox([ipw.VBox(list(self.rate_boxes.values())), ipw.VBox([self.uniform, self.steps])]),
                          self.message, ipw.HBox([self.rates_fig, self.code], layout=WRAP), self.runner,
                          self.acc_fig])

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour)

    def settings(self):
        """``(rates per block, uniform rate, steps)``, checked; a ``SettingError`` says what is wrong."""
        rates = {name: checks.rate(box.value, f"rate for {name}") for name, box in self.rate_boxes.items()}
        return rates, checks.rate(self.uniform.value, "uniform rate"), checks.steps(self.steps.value)

    def refresh(self):
        rates, uniform, _ = self.settings()
        self.message.value = ""
        figs.update_rates(self.rates_fig, rates, uniform=uniform)
        groups = ",\n".join(f'    {{"params": model.{n}.parameters(), "lr": {lr:.0e}}}' for n, lr in rates.items())
        self.code.value = code_view(f"optimizer = torch.optim.Adam([\n{groups},\n])\n"
                                    "# or: Trainer(model, train, lr={...})")

    def _clear(self):
        self.result = None
        figs.update_accuracy_bars(self.acc_fig, [], [])

    def _job(self, progress, stop):
        rates, uniform, steps = self.settings()
        start = copy_with(self.model, self, ())
        self.source_before = self.source.accuracy(start) if self.source is not None else None
        return train_in_turn(
            lab.compared_rates(rates, uniform),
            lambda lr: Trainer(copy_with(self.model, self, ()), self.train, self.val, lr=lr, source=self.source,
                               seed=self.seed),
            steps, progress, stop, say_which=True)

    def _show(self, runs):
        self.result = runs
        if self.source_before is None and self.source is not None:  # a result computed elsewhere (show)
            self.source_before = self.source.accuracy(copy_with(self.model, self, ()))
        labels = list(runs)
        finals = [runs[label].blowup or runs[label].final for label in labels]  # a diverged run: where it blew up
        figs.update_accuracy_bars(self.acc_fig, [0] * len(labels), [f.get("val_acc") for f in finals],
                                  [f.get("source_acc") for f in finals], self.source_before,
                                  [runs[label].status for label in labels], labels=labels)
        return " | ".join(f"{label}: new task {f.get('val_acc', 0):.0%}, old task {f.get('source_acc', 0):.0%}"
                          for label, f in zip(labels, finals))
