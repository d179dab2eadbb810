"""MetricsExplorer: train while watching training and validation accuracy, then try the remedies for overfitting.

ipywidgets wiring only: training is ``widgets.core.training.Trainer``, the figure ``widgets.figures.training``.
Every run starts from the pre-trained course model (a fresh copy) and is added to the plot and the table, so
runs can be compared. ``run(wait=True, **settings)`` trains in the calling thread (lesson cells, tests).
"""

import html

import ipywidgets as ipw

from ..core import checks
from ..core.course import course_model, validation_task
from ..core.freezing import freeze
from ..core.model import BACKBONE_BLOCKS
from ..core.training import Trainer
from ..figures import training as figs
from .background import BackgroundRunner
from .inputs import whole_box

#: remedy -> (label in the widget, what it does)
REMEDIES = {
    "freeze": ("freeze the backbone", "only the new head trains (conv1-conv3 frozen)"),
    "augment": ("augment", "every batch shifted by up to 2 pixels"),
    "weight_decay": ("weight decay", "AdamW with weight decay 0.1: weights are pulled towards 0"),
    "early_stopping": ("early stopping", "stop when validation accuracy has not improved for 2 checks; keep the best"),
}
MAX_RUNS_SHOWN = 4


class MetricsExplorer(ipw.VBox):
    """Training vs validation accuracy, live; remedies as check boxes; every run kept for comparison."""

    display_name = "MetricsExplorer"

    def __init__(self, n_per_class=20, steps=100, lr=1e-3, seed=0, model_factory=None, task=None):
        self.lr = checks.rate(lr)
        steps = checks.steps(steps)
        self.model_factory = model_factory or (lambda: course_model(seed=seed))
        self.task = task or validation_task
        self.seed = seed
        self.runs = {}
        self.result = None
        self.n_per_class = whole_box("images per class", n_per_class, 2, 57)
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.remedies = {key: ipw.Checkbox(value=False, description=label, indent=False,
                                           layout=ipw.Layout(width="170px"))
                         for key, (label, _) in REMEDIES.items()}
        self.runner = BackgroundRunner(self._job, on_done=self._show)
        self.fig = figs.train_val_figure(widget=True)
        self.table = ipw.HTML()
        self.help = ipw.HTML("<br>".join(f"<b>{label}</b>: {what}" for label, what in REMEDIES.values()))
        super().__init__([ipw.HBox([self.n_per_class, self.steps]), ipw.HBox(list(self.remedies.values())),
                          self.runner, self.fig, self.table, self.help])

    def label(self, settings):
        chosen = [REMEDIES[key][0] for key in REMEDIES if settings.get(key)]
        name = " + ".join(chosen) if chosen else "no remedy"
        return f"{settings['n_per_class']}/class, {name}"

    def settings(self, **overrides):
        settings = {"n_per_class": self.n_per_class.value, "steps": self.steps.value,
                    **{key: box.value for key, box in self.remedies.items()}}
        unknown = set(overrides) - set(settings)
        if unknown:
            raise checks.SettingError(f"unknown setting {sorted(unknown)[0]!r}; settings are: {', '.join(settings)}.")
        settings.update(overrides)
        settings["steps"] = checks.steps(settings["steps"])
        settings["n_per_class"] = checks.whole(settings["n_per_class"], "n_per_class", 2, 57)
        return settings

    def _job(self, progress, stop, overrides=None):
        settings = self.settings(**(overrides or {}))
        train, val = self.task(settings["n_per_class"])
        model = self.model_factory()
        if settings["freeze"]:
            freeze(model, *BACKBONE_BLOCKS)
        trainer = Trainer(model, train, val, lr=1e-2 if settings["freeze"] else self.lr, seed=self.seed,
                          augment=bool(settings["augment"]),
                          optimizer="adamw" if settings["weight_decay"] else "adam",
                          weight_decay=0.1 if settings["weight_decay"] else 0.0)
        label = self.label(settings)
        steps = settings["steps"]

        def live(history):
            progress(len(history.loss) / steps, f"{label}: step {len(history.loss)} of {steps}")
            if stop.is_set():
                trainer.stop()
            self.runs[label] = history  # called after each evaluation: the curves grow live
            figs.update_train_val(self.fig, self._shown())

        history = trainer.fit(steps, callback=live, callback_every=steps, eval_every=max(1, steps // 10),
                              patience=2 if settings["early_stopping"] else None)
        self.runs[label] = history
        return label, history

    def _shown(self):
        return dict(list(self.runs.items())[-MAX_RUNS_SHOWN:])

    def _show(self, outcome):
        label, history = outcome
        self.result = history
        figs.update_train_val(self.fig, self._shown())
        self.table.value = self.table_html()
        return html.escape(f"{label}: {history.message}")

    def summary(self):
        """Per run, for the model each run LEFT (after early stopping: the restored best one): training and
        validation accuracy, their gap; and the best validation accuracy seen, the steps, the seconds."""
        rows = {}
        for label, h in self.runs.items():
            train, val = h.final["train_acc"], h.final["val_acc"]
            rows[label] = {"train": train, "val": val, "gap": train - val, "best_val": max(h.val_acc),
                           "steps": len(h.loss), "seconds": h.seconds}
        return rows

    def table_html(self):
        lines = ["<table><tr><th style='text-align:left'>run</th><th>train</th><th>validation</th><th>gap</th>"
                 "<th>steps</th></tr>"]
        for label, row in self.summary().items():
            lines.append(f"<tr><td style='text-align:left'>{html.escape(label)}</td><td>{row['train']:.0%}</td>"
                         f"<td>{row['val']:.0%}</td><td>{row['gap']:.0%}</td><td>{row['steps']}</td></tr>")
        return "".join(lines) + "</table>"

    def run(self, wait=True, **settings):
        """Train one run with the widget's settings, changed by ``settings`` (e.g. ``augment=True``).

        With ``wait=True`` it trains here and returns the ``History``; errors appear in the widget."""
        job = lambda progress, stop: self._job(progress, stop, settings)  # noqa: E731
        if wait:
            self.runner.run_sync(job)
            return self.result if self.runner.error is None else None
        self.runner.start(job)
        return None

    def close(self):
        """Stop a running job and wait for it, then close the widget."""
        runner = getattr(self, "runner", None)  # None when the constructor refused its arguments
        if runner is not None:
            runner.close()
        super().close()
