"""SpectrumLab (lesson 08): pick a point on the fine-tuning spectrum and train it live on the course ViT.

The learner picks what may change (the head only, norms and biases, LoRA of rank 1, 4 or 8 on the attention
projections, the last block, everything), the learning rate (each method starts at its own tuned rate), the steps
and the seed. Train runs it in the background (Stop ends it after the current step), drawing training and test
accuracy as they grow; at the end the run is scored on the shifted test set too and kept in the table, with its
trainable parameters. The runs are ``widgets.labs.now.train_method``: the claims' own runs. The settings are
traitlets, validated once: ``observe`` them, or ``ipywidgets.link`` them.
"""

import html

import ipywidgets as ipw
import traitlets

from ..engine import checks
from ..engine.params import count_parameters
from ..engine.training import evaluate
from ..figures import training as figs
from ..labs import now as lab
from .inputs import rate_box, whole_box
from .messages import ERROR, message_html
from .runner import BackgroundRunner, RunsItsJob

STEPS_RANGE, SEED_RANGE = (5, 400), (0, 10_000)


class SpectrumLab(RunsItsJob, ipw.VBox):
    """One point of the spectrum at a time, trained on the same images and batches as the lesson's claims."""

    display_name = "SpectrumLab"
    method = traitlets.Unicode("LoRA r=4")
    lr = traitlets.Float(lab.RATES["LoRA r=4"])
    steps = traitlets.Int(lab.STEPS)
    seed = traitlets.Int(0)

    def __init__(self, method="LoRA r=4", lr=None, steps=lab.STEPS, seed=0):
        super().__init__()
        self.runs, self.result = [], None
        self.method = method
        self.lr = lab.RATES[self.method] if lr is None else lr
        self.steps, self.seed = steps, seed
        self.method_box = ipw.ToggleButtons(options=list(lab.SPECTRUM), description="what trains",
                                            style={"description_width": "initial", "button_width": "auto"})
        self.rate = rate_box("learning rate", self.lr)
        self.steps_box = whole_box("steps", self.steps, *STEPS_RANGE)
        self.seed_box = whole_box("seed", self.seed, *SEED_RANGE)
        traitlets.link((self, "method"), (self.method_box, "value"))
        traitlets.link((self, "steps"), (self.steps_box, "value"))
        traitlets.link((self, "seed"), (self.seed_box, "value"))
        self.rate.observe(self._rate_from_box, names="value")
        self.observe(lambda change: setattr(self.rate, "value", f"{change['new']:g}"), names="lr")
        self.observe(self._on_method, names="method")
        self.message = ipw.HTML()
        self.runner = BackgroundRunner(self._job, on_done=self._show)
        self.fig = figs.train_val_figure(widget=True, title="Accuracy: training images (solid) vs test images (dashed)")
        self.table = ipw.HTML()
        self.children = [self.method_box, ipw.HBox([self.rate, self.steps_box, self.seed_box]), self.message,
                         self.runner, self.fig, self.table]

    # ---- settings, validated once ------------------------------------------------------------------------------
    @traitlets.validate("method")
    def _valid_method(self, proposal):
        return checks.choice(proposal["value"], "method", list(lab.SPECTRUM))

    @traitlets.validate("lr")
    def _valid_lr(self, proposal):
        return checks.rate(proposal["value"])

    @traitlets.validate("steps")
    def _valid_steps(self, proposal):
        return checks.whole(proposal["value"], "steps", *STEPS_RANGE)

    @traitlets.validate("seed")
    def _valid_seed(self, proposal):
        return checks.whole(proposal["value"], "seed", *SEED_RANGE)

    def _on_method(self, change):
        self.lr = lab.RATES[change["new"]]  # each method starts at the rate that did best for it on validation
        self.message.value = ""

    def _rate_from_box(self, change):
        try:
            self.lr = checks.rate(change["new"])
            self.message.value = ""
        except checks.SettingError as error:  # the box keeps what was typed; the run keeps the last good rate
            self.message.value = message_html(f"{error} The rate stays {self.lr:g}.", ERROR)

    # ---- running -----------------------------------------------------------------------------------------------
    def _job(self, progress, stop):
        method, lr, steps, seed = self.method, self.lr, self.steps, self.seed
        train, test, shifted = lab.task(seed)
        drawn = [0]  # evaluations on the plot: redraw when one is added, not at every step

        def live(history):
            progress(len(history.loss) / steps, f"{method}: step {len(history.loss)} of {steps}")
            if len(history.eval_steps) != drawn[0]:
                drawn[0] = len(history.eval_steps)
                figs.update_train_val(self.fig, {method: history}, held_out="test")

        model, history = lab.train_method(method, train, seed, steps, lr, val=test, callback=live, stop=stop)
        row = {"method": method, "lr": lr, "steps": len(history.steps), "seed": seed,
               "trainable": count_parameters(model).trainable, "test": evaluate(model, test),
               "shifted": evaluate(model, shifted), "status": history.status, "history": history}
        self.runs.append(row)
        return row

    def _show(self, row):
        self.result = row
        figs.update_train_val(self.fig, {row["method"]: row["history"]}, held_out="test")
        self.table.value = self.table_html()
        return (f"{row['method']}: {row['trainable']:,} trainable parameters, test {row['test']:.1%}, "
                f"shifted {row['shifted']:.1%}.")

    def table_html(self):
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(r['method'])}</td><td>{r['trainable']:,}</td>"
            f"<td>{r['lr']:g}</td><td>{r['steps']}</td><td>{r['seed']}</td><td>{r['test']:.1%}</td>"
            f"<td>{r['shifted']:.1%}</td><td>{html.escape(r['status'])}</td></tr>" for r in self.runs)
        return ("<table><caption>Every run so far</caption><tr><th scope='col' style='text-align:left'>what "
                "trains</th><th scope='col'>trainable parameters</th><th scope='col'>rate</th>"
                "<th scope='col'>steps</th><th scope='col'>seed</th><th scope='col'>test accuracy</th>"
                f"<th scope='col'>shifted accuracy</th><th scope='col'>how it ended</th></tr>{rows}</table>")
