"""LRExplorer: one copy of the model per learning rate, the same start and the same batches, trained and compared.

ipywidgets wiring only: training is ``widgets.engine.sweep``, figures ``widgets.figures.training``. The learner's
model is never changed: every rate trains a copy. Without arguments it uses the course's pre-trained model, the
few-shot Digits-M task and the forgetting meter (the letters, read with the original head).

A rate that diverges is shown as diverged: its loss curve ends with a cross where it blew up, and its bars (hatched)
and the words say what it did to the model THERE, before its weights were put back: never "kept 99%".
"""

import ipywidgets as ipw
import traitlets

from ..engine import checks
from ..figures import training as figs
from ..kit.course import PRESETS
from ..labs import learning_rate as lab
from .inputs import Rates, TypedBoxes, rate_box
from .messages import ERROR, message_html, shown_in
from .runner import BackgroundRunner
from .training_runs import Runs, copy_with, course_defaults, preset, throttle

# Two figures side by side are wider than a narrow notebook: let the second wrap below instead of clipping.
WRAP = ipw.Layout(flex_flow="row wrap")


class LRExplorer(Runs, ipw.VBox):
    """Train one copy per learning rate (same start, same batches) and plot the loss curves together, with the
    accuracy on the new task and the forgetting meter (the old task, read with the original head) beside it.

    The settings are traitlets, each checked once where it is set: ``lrs`` (a tuple of rates, sorted; text such as
    ``"1e-4, 3e-3"`` is read too), ``preset`` (a name from ``PRESETS``) and ``steps``. ``observe`` them, or
    ``ipywidgets.link`` them to another widget's."""

    display_name = "LRExplorer"
    lrs = Rates()
    preset = traitlets.Unicode("all layers")
    steps = traitlets.Int(lab.STEPS)

    def __init__(self, model=None, train=None, val=None, source=None, lrs=lab.RATES, preset="all layers",
                 steps=lab.STEPS, augment=False, seed=0):
        super().__init__()
        self.lrs, self.preset, self.steps = lrs, preset, steps  # checked here: a bad one raises before any work
        self.model, self.train, self.val, self.source = course_defaults(model, train, val, source)
        self.seed, self.augment = seed, augment
        self.result = None
        self.source_before = None
        self.message = ipw.HTML()
        self.boxes = TypedBoxes(self, self.say)
        self.rates_box = self.boxes.tie(ipw.Text(description="rates", continuous_update=False,
                                                 layout=ipw.Layout(width="330px")),
                                        "lrs", shown=lambda lrs: ", ".join(f"{lr:g}" for lr in lrs))
        self.picker = rate_box("add", 1e-3, width="150px")
        self.add_button = ipw.Button(description="Add rate", icon="plus", layout=ipw.Layout(width="110px"))
        self.add_button.on_click(shown_in(self.say)(lambda _: self.add_rate(self.picker.value)))
        self.preset_box = ipw.Dropdown(options=list(PRESETS), description="train")
        traitlets.link((self, "preset"), (self.preset_box, "value"))
        self.steps_box = self.boxes.tie(ipw.IntText(description="steps", layout=ipw.Layout(width="160px")), "steps")
        self.runner = BackgroundRunner(self._job, on_done=self._show, on_start=self._clear)
        self.loss_fig = figs.loss_curves_figure(widget=True)
        self.acc_fig = figs.accuracy_bars_figure(widget=True)
        self.explanation = ipw.HTML("<i>Pick rates, a preset and a number of steps, then press Train.</i>")
        self.children = [
            ipw.HBox([self.rates_box, self.picker, self.add_button]),
            self.message,
            ipw.HBox([self.preset_box, self.steps_box]),
            self.runner,
            ipw.HBox([self.loss_fig, self.acc_fig], layout=WRAP),
            self.explanation,
        ]

    @traitlets.validate("preset")
    def _valid_preset(self, proposal):
        return checks.choice(proposal["value"], "preset", list(PRESETS))

    @traitlets.validate("steps")
    def _valid_steps(self, proposal):
        return checks.steps(proposal["value"])

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour) if text else ""

    def add_rate(self, lr):
        """Add ``lr`` to the rates (a rate still wrong in the rates box is said first: a typo is shown, not kept)."""
        rate = checks.rate(lr, "the rate to add")
        self.boxes.refuse_if_any()
        self.lrs = (*self.lrs, rate)
        self.message.value = ""

    def settings(self):
        """The settings a run uses: ``(rates, frozen blocks, steps)``; a value still wrong in a box is raised."""
        self.boxes.refuse_if_any()
        return list(self.lrs), preset(self.preset), self.steps

    def _clear(self):
        self.result = None
        self.explanation.value = ""
        figs.update_loss_curves(self.loss_fig, [], [])
        figs.update_accuracy_bars(self.acc_fig, [], [])

    def _job(self, progress, stop):
        lrs, frozen, steps = self.settings()
        base = copy_with(self.model, self, frozen)
        self.source_before = self.source.accuracy(base) if self.source is not None else None
        due = throttle()
        partial = {}

        def live(i, history):
            if i is None:  # all at once: history is a partial sweep
                progress(len(history.loss[0]) / steps if history.loss and history.loss[0] else 0)
                if due():
                    figs.update_loss_curves(self.loss_fig, lrs, history.loss, history.status)
                return
            partial[i] = history.loss
            progress((i + len(history.loss) / steps) / len(lrs), f"Training rate {lrs[i]:g} ({i + 1} of {len(lrs)})")
            if due():
                figs.update_loss_curves(self.loss_fig, lrs[: i + 1], [partial[j] for j in range(i + 1)])

        return lab.sweep_rates(base, self.train, self.val, lrs, steps, source=self.source, seed=self.seed,
                               augment=self.augment and frozen != PRESETS["head only"], callback=live, stop=stop)

    def _show(self, result):
        self.result = result
        if self.source_before is None and self.source is not None:  # a result computed elsewhere (show)
            self.source_before = self.source.accuracy(copy_with(self.model, self, preset(self.preset)))
        best = result.best if result.lrs else None
        blowups = result.blowup or None
        figs.update_loss_curves(self.loss_fig, result.lrs, result.loss, result.status, best, blowups)
        figs.update_accuracy_bars(self.acc_fig, result.lrs, result.val_acc, result.source_acc, self.source_before,
                                  result.status)
        self.explanation.value = self.explain(result)
        return f"Trained {len(result.lrs)} rates in {result.seconds:.1f} s ({result.method})."

    def explain(self, result):
        """The result in words: the best rate, the diverged ones (measured where they blew up), what was forgotten."""
        if not result.lrs:
            return "<i>Stopped before the first rate finished.</i>"
        lines = []
        best = result.best
        if result.val_acc[best] is not None and result.status[best] != "diverged":
            lines.append(f"Best on the new task: <b>lr {result.lrs[best]:g}</b> "
                         f"({result.val_acc[best]:.0%} validation accuracy).")
        for i, (lr, status) in enumerate(zip(result.lrs, result.status)):
            if status != "diverged":
                continue
            blowup = result.blowup[i] if i < len(result.blowup) else None
            where = f" at step {blowup['step']} (the loss reached {blowup['loss']:.3g})" if blowup else ""
            measured = [f"{name} {value:.0%}" for name, value in
                        (("new task", result.val_acc[i]), ("old task", result.source_acc[i])) if value is not None]
            lines.append(f"<b>Diverged: lr {lr:g}</b>{where}. Measured there: {', '.join(measured) or 'nothing'}. "
                         "Its weights were then put back to the start, so the model you pass in is unchanged.")
        chance = 1 / self.model.num_classes if hasattr(self.model, "num_classes") else None
        near_chance = [lr for lr, a, s in zip(result.lrs, result.val_acc, result.status)
                       if a is not None and chance and a < 1.5 * chance and s != "diverged"]
        if near_chance:
            lines.append("New task near chance level (1 in {:.0f}): ".format(1 / chance)
                         + ", ".join(f"lr {lr:g}" for lr in near_chance) + ".")
        trained = [i for i, s in enumerate(result.status) if s != "diverged" and result.source_acc[i] is not None]
        if self.source_before is not None and trained:
            worst = min(trained, key=lambda i: result.source_acc[i])
            keep = max(trained, key=lambda i: result.source_acc[i])
            if result.source_acc[keep] == result.source_acc[worst]:
                lines.append(f"Forgetting meter: the old task was at {self.source_before:.0%}; every rate that trained "
                             f"leaves {result.source_acc[keep]:.0%}.")
            else:
                lines.append(f"Forgetting meter: the old task was at {self.source_before:.0%}; lr "
                             f"{result.lrs[keep]:g} keeps {result.source_acc[keep]:.0%}, lr {result.lrs[worst]:g} "
                             f"leaves {result.source_acc[worst]:.0%}.")
        return "<br>".join(lines)
