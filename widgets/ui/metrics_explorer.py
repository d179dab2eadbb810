"""MetricsExplorer: train while watching training and validation accuracy, then try the remedies for overfitting.

ipywidgets wiring only: the runs are ``widgets.labs.metrics.train_run`` (each remedy changes one thing), the figure
``widgets.figures.training``. Every run starts from the pre-trained course model (a fresh copy) and is added to the
table, so runs can be compared; the plot always shows the baseline and the latest runs. ``run(wait=True,
**settings)`` trains in the calling thread (lesson cells, tests); ``add(history, **settings)`` shows a run trained
elsewhere with those settings (an experiment's).
"""

import html

import ipywidgets as ipw

from ..engine import checks
from ..figures import training as figs
from ..labs.metrics import REMEDIES, train_run
from .inputs import whole_box
from .runner import BackgroundRunner

#: runs on the plot: the baseline and the latest others
MAX_RUNS_SHOWN = 4


class MetricsExplorer(ipw.VBox):
    """Training vs validation accuracy, live; remedies as check boxes; every run kept for comparison."""

    display_name = "MetricsExplorer"

    def __init__(self, n_per_class=20, steps=100, lr=1e-3, seed=0, model_factory=None, task=None):
        self.lr = checks.rate(lr)
        steps = checks.steps(steps)
        self.model_factory = model_factory
        self.task = task
        self.seed = seed
        self.runs = {}
        self.result = None
        self.default_n = n_per_class
        self.n_per_class = whole_box("images per class", n_per_class, 2, 57)
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.remedies = {key: ipw.Checkbox(value=False, description=label, indent=False,
                                           layout=ipw.Layout(width="170px"))
                         for key, (label, _) in REMEDIES.items()}
        self.runner = BackgroundRunner(self._job, on_done=self._show, on_start=self._clear)
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

    @property
    def baseline(self):
        """The label of the baseline: the first run without a remedy at the explorer's images per class (else the
        first run)."""
        plain = self.label({"n_per_class": self.default_n})
        return plain if plain in self.runs else next(iter(self.runs), None)

    def _job(self, progress, stop, overrides=None):
        settings = self.settings(**(overrides or {}))
        label, steps = self.label(settings), settings["steps"]

        drawn = [0]  # how many of the run's evaluations the plot shows

        def live(history):  # after every step the bar moves; after each evaluation the curves grow
            progress(len(history.loss) / steps, f"{label}: step {len(history.loss)} of {steps}")
            if len(history.eval_steps) != drawn[0]:
                drawn[0] = len(history.eval_steps)
                self.runs[label] = history
                figs.update_train_val(self.fig, self._shown())

        history = train_run(
            settings["n_per_class"], steps, self.lr, self.seed, freeze_backbone=bool(settings["freeze"]),
            augment=settings["augment"], weight_decay=settings["weight_decay"],
            early_stopping=settings["early_stopping"], callback=live, callback_every=1, stop=stop,
            model_factory=self.model_factory, task=self.task)
        self.runs[label] = history
        return label, history

    def _shown(self):
        """The baseline and the latest runs (at most ``MAX_RUNS_SHOWN``), the baseline first."""
        baseline = self.baseline
        others = [label for label in self.runs if label != baseline][-(MAX_RUNS_SHOWN - 1):]
        return {label: self.runs[label] for label in ([baseline] if baseline else []) + others}

    def _clear(self):
        self.result = None

    def _show(self, outcome):
        label, history = outcome
        self.result = history
        figs.update_train_val(self.fig, self._shown())
        self.table.value = self.table_html()
        return html.escape(f"{label}: {history.message}")

    def add(self, history, **settings):
        """Show ``history``, a run trained elsewhere with these settings (e.g. an experiment's), as if run here."""
        settings = self.settings(**settings)
        self.runs[self.label(settings)] = history
        self._show((self.label(settings), history))
        return history

    def summary(self):
        """Per run, for the model each run LEFT (after early stopping: the restored best one): training and
        validation accuracy, their gap; the best validation accuracy seen, the steps trained, the seconds."""
        rows = {}
        for label, h in self.runs.items():
            train, val = h.final["train_acc"], h.final["val_acc"]
            rows[label] = {"train": train, "val": val, "gap": train - val, "best_val": max(h.val_acc),
                           "steps": len(h.loss), "kept_step": h.final["step"], "seconds": h.seconds}
        return rows

    def table_html(self):
        lines = ["<table><tr><th style='text-align:left'>run</th><th>train</th><th>validation</th><th>gap</th>"
                 "<th>steps trained</th><th>model kept from step</th></tr>"]
        for label, row in self.summary().items():
            lines.append(f"<tr><td style='text-align:left'>{html.escape(label)}</td><td>{row['train']:.0%}</td>"
                         f"<td>{row['val']:.0%}</td><td>{row['gap']:.0%}</td><td>{row['steps']}</td>"
                         f"<td>{row['kept_step']}</td></tr>")
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
