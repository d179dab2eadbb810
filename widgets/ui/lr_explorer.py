"""The learning-rate lab: LRExplorer, LRFinder, ScheduleExplorer and DiscriminativeLR.

ipywidgets wiring only: training comes from ``widgets.core.training`` / ``widgets.core.lr``, figures from
``widgets.figures.training``, the background thread from ``widgets.ui.background``. Every widget trains COPIES
of the model it is given (the range test excepted: it restores the weights itself), so nothing is lost.

Each widget has ``run(wait=True)``: it trains right away in the calling thread, so a lesson executed top to
bottom (no clicks) shows real curves and can assert on ``widget.result``. Without arguments the widgets use the
course's own pre-trained model and the few-shot Digits-M task.
"""

import copy
import functools
import html
import time

import ipywidgets as ipw
import torch
from torch import nn

from ..core.lr import SCHEDULES, lr_range_test, schedule_curve, sweep
from ..core.training import Trainer, TrainingError, check_lr, check_steps, evaluate
from ..figures import training as figs
from .background import BackgroundRunner

#: freeze presets: blocks frozen before training
PRESETS = {
    "all layers": (),
    "conv3 + head": ("conv1", "conv2"),
    "head only": ("conv1", "conv2", "conv3"),
}


# --------------------------------------------------------------------------------------------- defaults


@functools.lru_cache(maxsize=None)
def course_task(n_per_class=10, val_every=3, source_every=3):
    """``(train, val, source_data)``: few-shot Digits-M, a third of its test set, a third of the held-out letters."""
    from ..core.data import source_test_set, target_task

    train, test = target_task(n_per_class=n_per_class, seed=0)
    source = source_test_set()
    return train, test.subset(torch.arange(0, len(test), val_every)), source.subset(torch.arange(0, len(source), source_every))


def course_model(num_classes=10, seed=0):
    """The pre-trained course model with a fresh head (seeded), and a copy of its ORIGINAL head."""
    from ..core.checkpoint import load_course_model, source_head

    torch.manual_seed(seed)
    return load_course_model(num_classes=num_classes), source_head()


def _defaults(model, train, val, source):
    if model is None or train is None:
        course_train, course_val, source_data = course_task()
        if model is None:
            model, head = course_model()
            source = source if source is not None else (source_data, head)
        train = train if train is not None else course_train
        val = val if val is not None else course_val
    return model, train, val, source


def parse_rates(text):
    """``"1e-4, 3e-3"`` -> ``[1e-4, 3e-3]``, or ``TrainingError`` naming the entry that is not a usable rate."""
    parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise TrainingError("type at least one learning rate, such as 1e-3")
    rates = [check_lr(p, f"learning rate {p!r}") for p in parts]
    if len(rates) > 10:
        raise TrainingError(f"at most 10 rates at once ({len(rates)} given)")
    return sorted(set(rates))


def frozen_copy(model, frozen):
    """A copy of ``model`` with the blocks in ``frozen`` frozen and every other block trainable."""
    model = copy.deepcopy(model)
    for name, block in model.named_children():
        for p in block.parameters():
            p.requires_grad_(name not in frozen)
    return model


def old_task_accuracy(model, source):
    """Accuracy on the old task, reading ``model``'s backbone with the original head (``source = (data, head)``)."""
    if source is None:
        return None
    data, head = source
    return evaluate(nn.Sequential(model[:-1], head), data)


def _throttle(seconds=0.3):
    last = [0.0]

    def due():
        now = time.perf_counter()
        if now - last[0] >= seconds:
            last[0] = now
            return True
        return False

    return due


def _code_html(code):
    return f"<pre style='font-size:12px;line-height:1.3;margin:0'>{html.escape(code)}</pre>"


# --------------------------------------------------------------------------------------------- LRExplorer


# Two figures side by side are wider than a narrow notebook: let the second wrap below instead of clipping.
_WRAP = ipw.Layout(flex_flow="row wrap")


def _train_in_turn(settings, make_trainer, steps, progress, stop, say_which=False):
    """Train one run per ``label -> setting``, one after another, for ``steps`` each; returns the histories.

    Progress covers all runs together; Stop ends the run in progress and skips the rest.
    """
    runs = {}
    for i, (label, setting) in enumerate(settings.items()):
        trainer = make_trainer(setting)

        def live(history, i=i, trainer=trainer, label=label):
            progress((i + len(history.loss) / steps) / len(settings), f"Training: {label}" if say_which else "")
            if stop.is_set():
                trainer.stop()

        runs[label] = trainer.fit(steps, callback=live, eval_every=steps)
        if stop.is_set():
            break
    return runs


class _Runs:
    """``run()`` for a widget whose ``runner`` (a ``BackgroundRunner``) leaves its outcome in ``result``."""

    def run(self, wait=True):
        """Train now: in this thread with ``wait=True`` (returns the result), else in the background (None)."""
        if wait:
            self.runner.run_sync()
            return self.result
        self.runner.start()
        return None


class LRExplorer(_Runs, ipw.VBox):
    """Train one copy per learning rate (same start, same batches) and plot the loss curves together, with the
    accuracy on the new task and the forgetting meter (the old task, read with the original head) beside it."""

    def __init__(self, model=None, train=None, val=None, source=None, lrs=(1e-4, 1e-3, 3e-3, 1e-2),
                 preset="all layers", steps=50, augment=True, seed=0):
        self.model, self.train, self.val, self.source = _defaults(model, train, val, source)
        self.seed, self.augment = seed, augment
        self.result = None
        self.source_before = None
        self.rates = ipw.Text(value=", ".join(f"{lr:g}" for lr in lrs), description="rates",
                              layout=ipw.Layout(width="330px"))
        self.picker = ipw.FloatLogSlider(value=1e-3, base=10, min=-5, max=0, step=0.5, description="add",
                                         readout_format=".0e", layout=ipw.Layout(width="300px"))
        self.add_button = ipw.Button(description="Add rate", icon="plus", layout=ipw.Layout(width="110px"))
        self.add_button.on_click(lambda _: self.add_rate(self.picker.value))
        self.preset = ipw.Dropdown(options=list(PRESETS), value=preset, description="train")
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.runner = BackgroundRunner(self._job, on_done=self._show)
        self.loss_fig = figs.loss_curves_figure(widget=True)
        self.acc_fig = figs.accuracy_bars_figure(widget=True)
        self.explanation = ipw.HTML("<i>Pick rates, a preset and a number of steps, then press Train.</i>")
        super().__init__([
            ipw.HBox([self.rates, self.picker, self.add_button]),
            ipw.HBox([self.preset, self.steps]),
            self.runner,
            ipw.HBox([self.loss_fig, self.acc_fig], layout=_WRAP),
            self.explanation,
        ])

    def add_rate(self, lr):
        self.rates.value = ", ".join(f"{r:g}" for r in sorted(set(parse_rates(self.rates.value) + [lr]))) \
            if self.rates.value.strip() else f"{lr:g}"

    def settings(self):
        """The validated settings, or ``TrainingError`` with a message for the widget."""
        return parse_rates(self.rates.value), PRESETS[self.preset.value], check_steps(self.steps.value)

    def _job(self, progress, stop):
        lrs, frozen, steps = self.settings()
        base = frozen_copy(self.model, frozen)
        self.source_before = old_task_accuracy(base, self.source)
        due = _throttle()
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

        return sweep(base, self.train, self.val, lrs, steps, source=self.source, seed=self.seed,
                     augment=self.augment and not frozen == PRESETS["head only"], callback=live, stop=stop)

    def _show(self, result):
        self.result = result
        best = result.best if result.lrs else None
        figs.update_loss_curves(self.loss_fig, result.lrs, result.loss, result.status, best)
        figs.update_accuracy_bars(self.acc_fig, result.lrs, result.val_acc, result.source_acc, self.source_before)
        self.explanation.value = self.explain(result)
        return f"Trained {len(result.lrs)} rates in {result.seconds:.1f} s ({result.method})."

    def explain(self, result):
        """The result in words: the best rate, the diverged ones, what was forgotten."""
        if not result.lrs:
            return "<i>Stopped before the first rate finished.</i>"
        lines = []
        best = result.best
        if result.val_acc[best] is not None:
            lines.append(f"Best on the new task: <b>lr {result.lrs[best]:g}</b> "
                         f"({result.val_acc[best]:.0%} validation accuracy).")
        if result.diverged:
            lines.append("Diverged (the loss blew up, weights restored): " + ", ".join(f"{lr:g}" for lr in result.diverged) + ".")
        chance = 1 / self.model.num_classes if hasattr(self.model, "num_classes") else None
        collapsed = [lr for lr, a, s in zip(result.lrs, result.val_acc, result.status)
                     if a is not None and chance and a < 1.5 * chance and s != "diverged"]
        if collapsed:
            lines.append("Collapsed to chance level (too large a step wrecked the pre-trained features): "
                         + ", ".join(f"{lr:g}" for lr in collapsed) + ".")
        if self.source_before is not None and any(a is not None for a in result.source_acc):
            worst = min(range(len(result.lrs)), key=lambda i: result.source_acc[i] if result.source_acc[i] is not None else 2)
            keep = max(range(len(result.lrs)), key=lambda i: result.source_acc[i] if result.source_acc[i] is not None else -1)
            lines.append(f"Forgetting meter: the old task was at {self.source_before:.0%}; lr {result.lrs[keep]:g} keeps "
                         f"{result.source_acc[keep]:.0%}, lr {result.lrs[worst]:g} leaves {result.source_acc[worst]:.0%}.")
        return "<br>".join(lines)


# --------------------------------------------------------------------------------------------- LRFinder


class LRFinder(_Runs, ipw.VBox):
    """The LR range test as a widget: exponential sweep, smoothed loss, two suggestions; weights restored."""

    def __init__(self, model=None, train=None, preset="all layers", start=1e-6, end=1.0, steps=80, seed=0):
        model, self.train, _, _ = _defaults(model, train, None, None)
        self.model = model
        self.preset, self.seed = preset, seed
        self.result = None
        self.start = ipw.Text(value=f"{start:g}", description="from", layout=ipw.Layout(width="160px"))
        self.end = ipw.Text(value=f"{end:g}", description="to", layout=ipw.Layout(width="160px"))
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Find", start_icon="search")
        self.fig = figs.finder_figure(widget=True)
        self.explanation = ipw.HTML("<i>Press Find: the rate grows every batch until the loss blows up.</i>")
        super().__init__([ipw.HBox([self.start, self.end, self.steps]), self.runner, self.fig, self.explanation])

    def _job(self, progress, stop):
        start = check_lr(self.start.value, "start rate")
        end = check_lr(self.end.value, "end rate")
        for name, block in self.model.named_children():  # the preset, applied to the model the test restores
            for p in block.parameters():
                p.requires_grad_(name not in PRESETS[self.preset])
        return lr_range_test(self.model, self.train, start=start, end=end, steps=check_steps(self.steps.value),
                             seed=self.seed, stop=stop)

    def _show(self, result):
        self.result = result
        figs.update_finder(self.fig, result)
        self.explanation.value = html.escape(result.message) + (
            f"<br>Suggested: <b>{result.suggestion:.0e}</b> (a tenth of the rate with the lowest loss). For fine-tuning, start "
            "there or lower: the pre-trained layers want small steps.")
        return "Done: the weights are exactly as before."


# --------------------------------------------------------------------------------------------- ScheduleExplorer


class ScheduleExplorer(_Runs, ipw.VBox):
    """LR against step for each schedule (and its options), then the chosen one applied to a real run, next to
    a constant rate. The Keras spelling of exponential decay is shown beside it."""

    def __init__(self, model=None, train=None, val=None, lr=3e-3, steps=60, schedule="cosine",
                 preset="conv3 + head", seed=0):
        self.model, self.train, self.val, _ = _defaults(model, train, val, None)
        self.preset, self.seed = preset, seed
        self.result = None
        self.lr = ipw.Text(value=f"{lr:g}", description="rate", layout=ipw.Layout(width="160px"))
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.schedule = ipw.Dropdown(options=list(SCHEDULES), value=schedule, description="schedule")
        self.options = {}
        self.options_box = ipw.HBox()
        self.fig = figs.schedule_figure(widget=True)
        self.run_fig = figs.loss_curves_figure(widget=True, title="Training loss: constant rate vs the schedule")
        self.note = ipw.HTML()
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Apply to a run")
        for control in (self.lr, self.steps, self.schedule):
            control.observe(lambda _: self.refresh(), "value")
        self.schedule.observe(lambda _: self._build_options(), "value")
        self._build_options()
        super().__init__([ipw.HBox([self.schedule, self.lr, self.steps]), self.options_box, self.fig, self.note,
                          self.runner, self.run_fig])

    def _build_options(self):
        defaults = SCHEDULES[self.schedule.value][0]
        self.options = {}
        for name, value in defaults.items():
            if value is None or isinstance(value, int):
                control = ipw.IntText(value=value or 0, description=name, layout=ipw.Layout(width="200px"))
            else:
                control = ipw.FloatText(value=value, description=name, layout=ipw.Layout(width="200px"))
            control.observe(lambda _: self.refresh(), "value")
            self.options[name] = control
        self.options_box.children = list(self.options.values())
        self.refresh()

    def spec(self):
        """The chosen schedule as ``{"name": ..., **options}`` (0 for a step option means: the default)."""
        options = {n: (c.value or None) if isinstance(c, ipw.IntText) else c.value for n, c in self.options.items()}
        return {"name": self.schedule.value, **{n: v for n, v in options.items() if v is not None}}

    def refresh(self):
        """Redraw the curves for the current settings (instant: no training)."""
        try:
            lr, steps, spec = check_lr(self.lr.value), check_steps(self.steps.value), self.spec()
            curves = {name: schedule_curve(name, steps, lr) for name in SCHEDULES if name != spec["name"]}
            curves[spec["name"]] = schedule_curve(spec, steps, lr)
        except TrainingError as error:
            self.note.value = f'<span style="color:#c0392b">{html.escape(str(error))}</span>'
            return
        figs.update_schedule(self.fig, curves, highlight=spec["name"])
        self.note.value = SCHEDULES[spec["name"]][1]

    def _job(self, progress, stop):
        lr, steps, spec = check_lr(self.lr.value), check_steps(self.steps.value), self.spec()
        return _train_in_turn(
            {"constant": None, spec["name"]: spec},
            lambda schedule: Trainer(frozen_copy(self.model, PRESETS[self.preset]), self.train, self.val, lr=lr,
                                     schedule=schedule, seed=self.seed, augment=False),
            steps, progress, stop)

    def _show(self, runs):
        self.result = runs
        labels = list(runs)
        figs.update_loss_curves(self.run_fig, [0] * len(labels), [h.loss for h in runs.values()])
        for trace, label in zip(self.run_fig.data, labels):
            trace.name = f"{label}: val {runs[label].final.get('val_acc', 0):.0%}"
        return " | ".join(f"{label}: validation {h.final.get('val_acc', 0):.0%}" for label, h in runs.items())


# --------------------------------------------------------------------------------------------- DiscriminativeLR


class DiscriminativeLR(_Runs, ipw.VBox):
    """One rate per block (small for early layers, large for the new head), shown as bars and trained, next to
    one uniform rate: accuracy on the new task and on the old one."""

    BLOCKS = ("conv1", "conv2", "conv3", "head")

    def __init__(self, model=None, train=None, val=None, source=None,
                 rates=(("conv1", 1e-4), ("conv2", 3e-4), ("conv3", 1e-3), ("head", 1e-2)),
                 uniform=3e-3, steps=60, seed=0):
        self.model, self.train, self.val, self.source = _defaults(model, train, val, source)
        self.seed = seed
        self.result = None
        self.source_before = None
        self.sliders = {name: ipw.FloatLogSlider(value=lr, base=10, min=-6, max=0, step=0.25, description=name,
                                                 readout_format=".0e") for name, lr in rates}
        self.uniform = ipw.FloatLogSlider(value=uniform, base=10, min=-6, max=0, step=0.25, description="uniform",
                                          readout_format=".0e")
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.rates_fig = figs.rates_figure(widget=True)
        self.acc_fig = figs.accuracy_bars_figure(widget=True, title="Discriminative vs uniform")
        self.code = ipw.HTML()
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Compare")
        for slider in (*self.sliders.values(), self.uniform):
            slider.observe(lambda _: self.refresh(), "value")
        self.refresh()
        super().__init__([ipw.HBox([ipw.VBox(list(self.sliders.values())), ipw.VBox([self.uniform, self.steps])]),
                          ipw.HBox([self.rates_fig, self.code], layout=_WRAP), self.runner, self.acc_fig])

    def rates(self):
        return {name: check_lr(slider.value, f"rate for {name}") for name, slider in self.sliders.items()}

    def refresh(self):
        rates = self.rates()
        figs.update_rates(self.rates_fig, rates, uniform=self.uniform.value)
        groups = ",\n".join(f'    {{"params": model.{n}.parameters(), "lr": {lr:.0e}}}' for n, lr in rates.items())
        self.code.value = _code_html(f"optimizer = torch.optim.Adam([\n{groups},\n])\n# or: Trainer(model, train, lr={{...}})")

    def _job(self, progress, stop):
        steps = check_steps(self.steps.value)
        settings = {"discriminative": self.rates(), "uniform": check_lr(self.uniform.value, "uniform rate")}
        self.source_before = old_task_accuracy(self.model, self.source)
        return _train_in_turn(
            settings,
            lambda lr: Trainer(frozen_copy(self.model, ()), self.train, self.val, lr=lr, source=self.source,
                               seed=self.seed),
            steps, progress, stop, say_which=True)

    def _show(self, runs):
        self.result = runs
        labels = list(runs)
        finals = [runs[label].final for label in labels]
        fig = self.acc_fig
        figs.update_accuracy_bars(fig, [0] * len(labels), [f.get("val_acc") for f in finals],
                                  [f.get("source_acc") for f in finals], self.source_before)
        with fig.batch_update():
            for trace in fig.data:
                trace.x = labels
        return " | ".join(f"{label}: new task {f.get('val_acc', 0):.0%}, old task {f.get('source_acc', 0):.0%}"
                          for label, f in zip(labels, finals))

