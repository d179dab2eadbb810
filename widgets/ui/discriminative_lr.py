"""DiscriminativeLR: one rate per block (small for early layers, large for the new head) next to one uniform rate,
and next to the same rates in reverse order (large for early layers, small for the head): the control that says
whether it is WHERE the small rates go that matters.

ipywidgets wiring only: training is the ``Trainer`` (``lr={block: rate}``), figures ``widgets.figures.training``.
The learner's model is never changed: every run trains a copy.
"""

import ipywidgets as ipw
import traitlets

from ..engine import checks
from ..engine.training import Trainer
from ..figures import training as figs
from ..labs import learning_rate as lab
from .inputs import Rate, TypedBoxes, code_view, rate_box
from .lr_explorer import WRAP
from .messages import ERROR, message_html, shown_in
from .runner import BackgroundRunner
from .training_runs import Runs, copy_with, course_defaults, train_in_turn


class DiscriminativeLR(Runs, ipw.VBox):
    """One rate per block, shown as bars and trained, next to one uniform rate and to the reversed rates: accuracy
    on the new task and on the old one (the forgetting meter).

    The settings are traitlets, each checked once where it is set: ``rates`` (``{block: rate}``), ``uniform`` and
    ``steps``. ``observe`` them, or ``ipywidgets.link`` them to another widget's (``steps`` to an LRExplorer's,
    so both compare the same budget)."""

    display_name = "DiscriminativeLR"
    rates = traitlets.Dict()
    uniform = Rate(lab.UNIFORM, what="uniform rate")
    steps = traitlets.Int(lab.STEPS)

    def __init__(self, model=None, train=None, val=None, source=None, rates=None, uniform=lab.UNIFORM,
                 steps=lab.STEPS, seed=0):
        super().__init__()
        self.rates = dict(rates if rates is not None else lab.DISCRIMINATIVE)  # checked here, before any work
        self.uniform, self.steps = uniform, steps
        self.model, self.train, self.val, self.source = course_defaults(model, train, val, source)
        self.seed = seed
        self.result = None
        self.source_before = None
        self.message = ipw.HTML()
        self.boxes = TypedBoxes(self, self.say)
        self.rate_boxes = {name: self.boxes.tie(rate_box(name, lr, width="150px"), "rates",
                                                shown=lambda rates, name=name: f"{rates[name]:g}",
                                                typed=lambda text, name=name: {**self.rates, name: text})
                           for name, lr in self.rates.items()}
        self.uniform_box = self.boxes.tie(rate_box("uniform", self.uniform, width="150px"), "uniform",
                                          shown=lambda lr: f"{lr:g}")
        self.steps_box = self.boxes.tie(ipw.IntText(description="steps", layout=ipw.Layout(width="160px")), "steps")
        self.rates_fig = figs.rates_figure(widget=True)
        self.acc_fig = figs.accuracy_bars_figure(widget=True, title="Discriminative vs uniform vs reversed")
        self.code = ipw.HTML()
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Compare", on_start=self._clear)
        self.observe(shown_in(self.say)(lambda _: self.refresh()), names=["rates", "uniform"])
        self.refresh()
        self.children = [ipw.HBox([ipw.VBox(list(self.rate_boxes.values())),
                                   ipw.VBox([self.uniform_box, self.steps_box])]),
                         self.message, ipw.HBox([self.rates_fig, self.code], layout=WRAP), self.runner, self.acc_fig]

    @traitlets.validate("rates")
    def _valid_rates(self, proposal):
        rates = proposal["value"]
        if self.rates and set(rates) != set(self.rates):  # one box per block, made once
            raise checks.SettingError(f"rates must give one rate for each of: {', '.join(self.rates)}; "
                                      f"got {', '.join(map(str, rates)) or 'none'}.")
        return {name: checks.rate(rates[name], f"rate for {name}") for name in rates}

    @traitlets.validate("steps")
    def _valid_steps(self, proposal):
        return checks.steps(proposal["value"])

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour) if text else ""

    def settings(self):
        """The settings a run uses: ``(rates per block, uniform rate, steps)``; a value still wrong in a box is
        raised."""
        self.boxes.refuse_if_any()
        return dict(self.rates), self.uniform, self.steps

    def refresh(self):
        rates, uniform = self.rates, self.uniform
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
