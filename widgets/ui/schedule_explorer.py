"""ScheduleExplorer: the rate at every step for each schedule (redrawn at once), then one applied to a real run.

ipywidgets wiring only: the schedules are the course's one table (``widgets.engine.schedules``), training the
``Trainer``. The learner's model is never changed: both runs train copies. ``plateau`` follows the validation loss,
so before a run its curve is drawn for an example loss that stops improving (``example_validation_loss``); in the
run it follows the real one.
"""

import html

import ipywidgets as ipw

from ..engine import checks
from ..engine.schedules import SCHEDULES, keras_callback, keras_line, reads_validation_loss, schedule_curve, spec
from ..engine.training import Trainer
from ..figures import training as figs
from ..kit.course import PRESETS
from .inputs import code_view
from .messages import ERROR, message_html, shown_in
from .runner import BackgroundRunner
from .training_runs import Runs, copy_with, course_defaults, preset, train_in_turn

#: evaluations per run: the validation loss is drawn at each, and ``plateau`` reads it there
EVALUATIONS = 10


class ScheduleExplorer(Runs, ipw.VBox):
    """LR against step for each schedule and its options, then the chosen one applied to a real run next to a
    constant rate (validation loss at each evaluation). The Keras spelling of the chosen schedule is shown beside
    it: a schedule object, or for ``plateau`` the ``ReduceLROnPlateau`` callback."""

    display_name = "ScheduleExplorer"

    def __init__(self, model=None, train=None, val=None, lr=3e-3, steps=60, schedule="cosine",
                 preset="conv3 + head", seed=0):
        lr, steps = checks.rate(lr), checks.steps(steps)
        name, options = spec(schedule)
        checks.choice(preset, "preset", list(PRESETS))
        self.model, self.train, self.val, _ = course_defaults(model, train, val, None)
        self.seed = seed
        self.result = None
        self.lr = ipw.Text(value=f"{lr:g}", description="rate", layout=ipw.Layout(width="160px"))
        self.steps = ipw.IntText(value=steps, description="steps", layout=ipw.Layout(width="160px"))
        self.schedule = ipw.Dropdown(options=list(SCHEDULES), value=name, description="schedule")
        self.preset = ipw.Dropdown(options=list(PRESETS), value=preset, description="train")
        self.options = {}
        self.options_box = ipw.HBox()
        self.fig = figs.schedule_figure(widget=True)
        self.note = ipw.HTML()
        self.keras = ipw.HTML()
        self.run_fig = figs.validation_loss_figure(widget=True)
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Apply to a run",
                                       on_start=self._clear)
        refresh = shown_in(self.say)(lambda _: self.refresh())
        for control in (self.lr, self.steps):
            control.observe(refresh, "value")
        self.schedule.observe(shown_in(self.say)(lambda _: self._build_options()), "value")
        self._build_options(options)
        super().__init__([ipw.HBox([self.schedule, self.lr, self.steps, self.preset]), self.options_box, self.fig,
                          self.note, self.keras, self.runner, self.run_fig])

    def say(self, text, colour=ERROR):
        self.note.value = message_html(text, colour)

    def _build_options(self, values=None):
        defaults = SCHEDULES[self.schedule.value].options
        values = values or defaults
        self.options = {}
        for name, default in defaults.items():
            value = values.get(name, default)
            if default is None:  # a number of steps; 0 means "from the run's length"
                control = ipw.IntText(value=value or 0, description=name, layout=ipw.Layout(width="200px"))
            elif isinstance(default, int):
                control = ipw.IntText(value=value, description=name, layout=ipw.Layout(width="200px"))
            else:
                control = ipw.FloatText(value=value, description=name, layout=ipw.Layout(width="200px"))
            control.observe(shown_in(self.say)(lambda _: self.refresh()), "value")
            self.options[name] = control
        self.options_box.children = list(self.options.values())
        self.refresh()

    def spec(self):
        """The chosen schedule as ``{"name": ..., **options}`` (0 for a step-count option means: the default)."""
        defaults = SCHEDULES[self.schedule.value].options
        options = {n: (c.value or None) if defaults[n] is None else c.value for n, c in self.options.items()}
        return {"name": self.schedule.value, **{n: v for n, v in options.items() if v is not None}}

    def settings(self):
        """``(rate, steps, schedule spec)``, checked; a ``SettingError`` says what is wrong."""
        lr, steps, chosen = checks.rate(self.lr.value), checks.steps(self.steps.value), self.spec()
        schedule_curve(chosen, steps, lr)  # checks the options against this run's length
        return lr, steps, chosen

    def refresh(self):
        """Redraw the curves for the current settings (instant: no training)."""
        lr, steps, chosen = self.settings()  # the chosen schedule must fit this run: else a message says why
        every = max(1, steps // EVALUATIONS)
        curves, left_out = {}, []
        for name in SCHEDULES:
            if name != chosen["name"]:
                try:  # another schedule that cannot run this short (one-cycle's warm-up) is left out, and said
                    curves[name] = schedule_curve(name, steps, lr, eval_every=every)
                except checks.SettingError as error:
                    left_out.append(f"{name} is not drawn: {error}")
        curves[chosen["name"]] = schedule_curve(chosen, steps, lr, eval_every=every)
        figs.update_schedule(self.fig, curves, highlight=chosen["name"])
        note = SCHEDULES[chosen["name"]].summary
        if reads_validation_loss(chosen):
            note += (". Drawn here for an example validation loss that stops improving after 40% of the run; in a "
                     "run it follows the real validation loss, read at each evaluation")
        self.note.value = html.escape(note) + "." + "".join(f"<br><i>{html.escape(text)}</i>" for text in left_out)
        line, callback = keras_line(chosen, lr, steps), keras_callback(chosen)
        if callback:
            self.keras.value = (f"<b>Keras</b> (a callback, passed to <code>model.fit(..., callbacks=[...])</code>):"
                                f"{code_view(callback)}")
        else:
            self.keras.value = (f"<b>Keras:</b>{code_view(line)}" if line
                                else "<i>Keras has no built-in schedule like this one.</i>")

    def _clear(self):
        self.result = None
        figs.update_validation_loss(self.run_fig, {})

    def _job(self, progress, stop):
        lr, steps, chosen = self.settings()
        frozen = preset(self.preset.value)
        return train_in_turn(
            {"constant": None, chosen["name"]: chosen},
            lambda schedule: Trainer(copy_with(self.model, self, frozen), self.train, self.val, lr=lr,
                                     schedule=schedule, seed=self.seed, augment=False),
            steps, progress, stop, eval_every=max(1, steps // EVALUATIONS))

    def _show(self, runs):
        self.result = runs
        labels = {f"{label}: val {h.final.get('val_acc', 0):.0%}": h for label, h in runs.items()}
        figs.update_validation_loss(self.run_fig, labels)
        return " | ".join(f"{label}: validation {h.final.get('val_acc', 0):.0%}" for label, h in runs.items())
