"""ScheduleExplorer: the rate at every step for each schedule (redrawn at once), then one applied to a real run.

ipywidgets wiring only: the schedules are the course's one table (``widgets.engine.schedules``), training the
``Trainer``. The learner's model is never changed: both runs train copies. ``plateau`` follows the validation loss,
so before a run its curve is drawn for an example loss that stops improving (``example_validation_loss``); in the
run it follows the real one.

The settings are traitlets, checked once where they are set, together: ``schedule`` (a name), ``options`` (that
schedule's options), ``lr`` (the peak rate), ``steps`` and ``preset``. The schedule must fit the run (one-cycle's
warm-up needs a few steps), so a value that would not fit is refused with a message, and the last good one stays.
"""

import html

import ipywidgets as ipw
import traitlets

from ..engine import checks
from ..engine.schedules import SCHEDULES, keras_callback, keras_line, reads_validation_loss, schedule_curve, spec
from ..engine.training import Trainer
from ..figures import training as figs
from ..kit.course import PRESETS
from .inputs import Rate, TypedBoxes, code_view, rate_box
from .messages import ERROR, message_html, shown_in
from .runner import BackgroundRunner
from .training_runs import Runs, copy_with, course_defaults, preset, train_in_turn

#: evaluations per run: the validation loss is drawn at each, and ``plateau`` reads it there
EVALUATIONS = 10
#: every schedule's options, each name once (one box each, shown while its schedule is chosen)
OPTIONS = {name: default for schedule in SCHEDULES.values() for name, default in schedule.options.items()}


class ScheduleExplorer(Runs, ipw.VBox):
    """LR against step for each schedule and its options, then the chosen one applied to a real run next to a
    constant rate (validation loss at each evaluation). The Keras spelling of the chosen schedule is shown beside
    it: a schedule object, or for ``plateau`` the ``ReduceLROnPlateau`` callback.

    ``observe`` the settings (``schedule``, ``options``, ``lr``, ``steps``, ``preset``) or ``ipywidgets.link`` them
    to another widget's."""

    display_name = "ScheduleExplorer"
    lr = Rate(3e-3, what="learning rate")
    steps = traitlets.Int(60)
    schedule = traitlets.Unicode("cosine")
    options = traitlets.Dict()  # the chosen schedule's options, defaults filled in (a step count of 0: from the run)
    preset = traitlets.Unicode("conv3 + head")

    def __init__(self, model=None, train=None, val=None, lr=3e-3, steps=60, schedule="cosine",
                 preset="conv3 + head", seed=0):
        super().__init__()
        name, options = spec(schedule)
        with self.hold_trait_notifications():  # checked together when all are set: the schedule must fit the run
            self.lr, self.steps, self.schedule, self.options, self.preset = lr, steps, name, options, preset
        self.model, self.train, self.val, _ = course_defaults(model, train, val, None)
        self.seed = seed
        self.result = None
        self.message = ipw.HTML()
        self.boxes = TypedBoxes(self, self.say)
        self.schedule_box = self.boxes.tie(ipw.Dropdown(options=list(SCHEDULES), description="schedule"),
                                           "schedule")
        self.lr_box = self.boxes.tie(rate_box("rate", self.lr, width="160px"), "lr", shown=lambda lr: f"{lr:g}")
        self.steps_box = self.boxes.tie(ipw.IntText(description="steps", layout=ipw.Layout(width="160px")), "steps")
        self.preset_box = ipw.Dropdown(options=list(PRESETS), description="train")
        traitlets.link((self, "preset"), (self.preset_box, "value"))
        self.option_boxes = {name: self._option_box(name, default) for name, default in OPTIONS.items()}
        self.options_box = ipw.HBox()
        self.fig = figs.schedule_figure(widget=True)
        self.note = ipw.HTML()
        self.keras = ipw.HTML()
        self.run_fig = figs.validation_loss_figure(widget=True)
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Apply to a run",
                                       on_start=self._clear)
        self.observe(shown_in(self.say)(self._schedule_chosen), names="schedule")
        self.observe(shown_in(self.say)(lambda _: self.refresh()), names=["lr", "steps", "options"])
        self._schedule_chosen()
        self.children = [ipw.HBox([self.schedule_box, self.lr_box, self.steps_box, self.preset_box]),
                         self.options_box, self.message, self.fig, self.note, self.keras, self.runner, self.run_fig]

    def _option_box(self, name, default):
        if default is None:  # a number of steps; 0 means "from the run's length"
            box, shown = ipw.IntText(description=name), (lambda options: options.get(name) or 0)
        else:
            box = (ipw.IntText if isinstance(default, int) else ipw.FloatText)(description=name)
            shown = lambda options: options.get(name, default)  # noqa: E731
        box.layout.width = "200px"
        return self.boxes.tie(box, "options", shown=shown, typed=lambda value: {**self.options, name: value},
                              key=name)

    # ---- settings, validated once ------------------------------------------------------------------------------
    def _fits(self, **change):
        """Check the settings with ``change`` applied, together: the schedule's options against the run's length."""
        settings = {"lr": self.lr, "steps": self.steps, "schedule": self.schedule, "options": self.options, **change}
        options = settings["options"]
        if set(options) != set(SCHEDULES[settings["schedule"]].options):  # another schedule: it starts from its own
            options = SCHEDULES[settings["schedule"]].options
        schedule_curve({"name": settings["schedule"], **options}, settings["steps"], settings["lr"])

    @traitlets.validate("steps")
    def _valid_steps(self, proposal):
        steps = checks.steps(proposal["value"])
        self._fits(steps=steps)
        return steps

    @traitlets.validate("schedule")
    def _valid_schedule(self, proposal):
        name = checks.choice(proposal["value"], "schedule", list(SCHEDULES))
        self._fits(schedule=name)
        return name

    @traitlets.validate("options")
    def _valid_options(self, proposal):
        _, options = spec({"name": self.schedule, **proposal["value"]})  # an unknown option is refused by name
        self._fits(options=options)
        return options

    @traitlets.validate("preset")
    def _valid_preset(self, proposal):
        return checks.choice(proposal["value"], "preset", list(PRESETS))

    def _schedule_chosen(self, change=None):
        """Show the chosen schedule's option boxes; a new schedule starts from its own defaults."""
        chosen = SCHEDULES[self.schedule].options
        for name in OPTIONS:
            if name not in chosen:
                self.boxes.solved(name)  # a refused value in a hidden box is not this schedule's problem
        self.options_box.children = [self.option_boxes[name] for name in chosen]
        if set(self.options) != set(chosen):
            self.options = dict(chosen)  # redraws
        else:
            self.refresh()

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour) if text else ""

    def spec(self):
        """The chosen schedule as ``{"name": ..., **options}`` (0 for a step-count option means: the default)."""
        defaults = SCHEDULES[self.schedule].options
        options = {n: (v or None) if defaults[n] is None else v for n, v in self.options.items()}
        return {"name": self.schedule, **{n: v for n, v in options.items() if v is not None}}

    def settings(self):
        """``(rate, steps, schedule spec)``; a value still wrong in a box is raised (``SettingError``)."""
        self.boxes.refuse_if_any()
        return self.lr, self.steps, self.spec()

    def refresh(self):
        """Redraw the curves for the current settings (instant: no training)."""
        lr, steps, chosen = self.lr, self.steps, self.spec()
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
        frozen = preset(self.preset)
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
