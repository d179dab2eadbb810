"""ModelChooser (lesson 05): pick models, an input size and a batch; measure here what each costs, and weigh it
against its accuracy on the new task and the learner's own budget.

The course's two pre-trained models and the zoo's torchvision architectures (random weights: no download) are
measured on this machine, live: first every parameter count and multiply-add count (counted on weightless copies,
in an instant), then, smallest model first, the size on disk and the latency of one forward pass on one CPU thread
(fastest and median of the repeats), then, for the course models, the accuracy of a new head on their frozen blocks
(the lesson's probe). The chart draws cost against accuracy with the budget the learner types (a latency or a size)
as a line, so what fits is seen at a glance. Big models (ResNet152, ViT-B/16) take seconds each: the progress bar
says which is being measured. The measurements are ``widgets.labs.models``'; the settings (``models``,
``image_size``, ``batch_size``, ``budget_kind``, ``budget``) are traitlets: ``observe`` them, or link them.
"""

import html
import math
import statistics

import ipywidgets as ipw
import traitlets

from ..accessible import RadioGroup
from ..engine import checks
from ..figures import chooser as figs
from ..figures.chooser import readable
from ..labs import models as lab
from .inputs import Checked, TypedBoxes
from .messages import ERROR, message_html
from .runner import BackgroundRunner, RunsItsJob

REPEATS = 5
OWN_SIZE = "each model's own (32 or 224)"
BUDGETS = {"latency": "latency per image, ms (fastest repeat, one thread)", "size": "size on disk, MB"}


def positive(value):
    """A budget: a number above 0 (numeric text such as ``"5"`` is read); anything else is refused in words."""
    try:
        number = float(value.strip() if isinstance(value, str) else value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number) or number <= 0:
        raise checks.SettingError(f"the budget must be a number above 0, such as 5; got {value!r}.")
    return number


class ModelChooser(RunsItsJob, ipw.VBox):
    """Measure the ticked models here (counts first, then size and latency, then the course models' accuracy) and
    chart cost against accuracy with a budget line."""

    display_name = "ModelChooser"
    models = traitlets.Tuple(tuple(lab.CHOICES[:5]))
    image_size = traitlets.Int(None, allow_none=True)  # None: each model's own
    batch_size = traitlets.Int(1)
    budget_kind = traitlets.Unicode("latency")
    budget = Checked(5.0, positive)

    def __init__(self, models=lab.CHOICES[:5], image_size=None, batch_size=1, budget_kind="latency", budget=5.0):
        super().__init__()
        self.models, self.image_size, self.batch_size = tuple(models), image_size, batch_size
        self.budget_kind, self.budget = budget_kind, budget
        self.found, self.result = {}, None  # model -> what was measured so far
        self.message = ipw.HTML()
        self.boxes = TypedBoxes(self, self.say)
        self.model_boxes = {name: self.boxes.tie(ipw.Checkbox(description=name, indent=False,
                                                              layout=ipw.Layout(width="250px")),
                                                 "models", shown=lambda chosen, n=name: n in chosen,
                                                 typed=lambda _: self._ticked(), key="models")
                            for name in lab.CHOICES}
        # radio groups: one Tab stop each, the arrow keys choose (JupyterLab's shortcuts keep out)
        sizes = [None, *lab.IMAGE_SIZES]
        self.size_box = RadioGroup(labels=[OWN_SIZE, *(f"{side} x {side}" for side in lab.IMAGE_SIZES)],
                                   label="image size")
        traitlets.link((self, "image_size"), (self.size_box, "index"), transform=(sizes.index, sizes.__getitem__))
        self.batch_box = self.boxes.tie(ipw.IntText(description="batch", layout=ipw.Layout(width="130px")),
                                        "batch_size")
        kinds = list(BUDGETS)
        self.kind_box = RadioGroup(labels=list(BUDGETS.values()), label="budget")
        traitlets.link((self, "budget_kind"), (self.kind_box, "index"), transform=(kinds.index, kinds.__getitem__))
        self.budget_box = self.boxes.tie(ipw.Text(description="at most", continuous_update=False,
                                                  layout=ipw.Layout(width="170px")), "budget",
                                         shown=lambda value: f"{value:g}")
        self.runner = BackgroundRunner(self._job, on_done=self._show, start_label="Measure", start_icon="clock-o")
        self.fig = figs.cost_accuracy_figure(widget=True)
        self.table = ipw.HTML()
        self.observe(lambda _: self.draw(), names=["budget", "budget_kind"])
        self.draw()
        self.children = [ipw.HBox(list(self.model_boxes.values()), layout=ipw.Layout(flex_flow="row wrap")),
                         ipw.HBox([ipw.HTML("<b>image size</b>"), self.size_box, ipw.HTML("<b>budget</b>"),
                                   self.kind_box, ipw.VBox([self.budget_box, self.batch_box])],
                                  layout=ipw.Layout(flex_flow="row wrap", grid_gap="12px")),
                         self.message, self.runner, self.fig, self.table]

    # ---- settings, validated once ------------------------------------------------------------------------------
    @traitlets.validate("models")
    def _valid_models(self, proposal):
        for name in proposal["value"]:
            checks.choice(name, "model", lab.CHOICES)
        return tuple(name for name in lab.CHOICES if name in proposal["value"])  # the list's order, once each

    @traitlets.validate("image_size")
    def _valid_image_size(self, proposal):
        side = proposal["value"]
        if side is not None and (isinstance(side, bool) or side not in lab.IMAGE_SIZES):
            raise checks.SettingError(f"image size must be one of {', '.join(map(str, lab.IMAGE_SIZES))} (or None: "
                                      f"each model's own); got {side!r}.")
        return side

    @traitlets.validate("batch_size")
    def _valid_batch_size(self, proposal):
        return checks.whole(proposal["value"], "batch", 1, 64)

    @traitlets.validate("budget_kind")
    def _valid_budget_kind(self, proposal):
        return checks.choice(proposal["value"], "budget", list(BUDGETS))

    def _ticked(self):
        return tuple(name for name, box in self.model_boxes.items() if box.value)

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour) if text else ""

    # ---- measuring ---------------------------------------------------------------------------------------------
    def _job(self, progress, stop):
        self.boxes.refuse_if_any()
        names, side, batch = self.models, self.image_size, self.batch_size
        if not names:
            raise checks.SettingError("tick at least one model to measure.")
        self.found = {name: {} for name in names}
        for i, name in enumerate(names):  # counts: on weightless copies, in an instant
            progress(0.05 * i / len(names), f"{name}: counting its parameters and multiply-adds...")
            self.found[name]["parameters"] = lab.choice_parameters(name)
            self.draw()
        for name in names:
            try:
                self.found[name]["multiply_adds"] = lab.choice_multiply_adds(name, side)
            except checks.SettingError as error:  # a size this model cannot read: said in its row
                self.found[name]["problem"] = str(error)
            self.draw()
        measurable = [n for n in names if "problem" not in self.found[n]]
        course = [n for n in measurable if n in lab.COURSE_MODELS]
        others = sorted((n for n in measurable if n not in lab.COURSE_MODELS),
                        key=lambda n: self.found[n]["parameters"])
        # the course models first, with one seed's accuracy: the chart has something to weigh in seconds; then the
        # other models, smallest first; then the course models' other seeds
        tasks = ([("costs", n) for n in course] + [("accuracy", (n, lab.SEEDS[0])) for n in course]
                 + [("costs", n) for n in others] + [("accuracy", (n, s)) for s in lab.SEEDS[1:] for n in course])
        weight = {"costs": lambda n: self.found[n]["multiply_adds"] * REPEATS, "accuracy": lambda n: 2e9}
        work = [weight[kind](n if kind == "costs" else n[0]) for kind, n in tasks]
        for k, (kind, what) in enumerate(tasks):
            if stop.is_set():
                break
            progress(0.05 + 0.95 * sum(work[:k]) / sum(work), self._doing(kind, what, batch))
            if kind == "costs":
                stats = lab.choice_costs(what, side, batch, REPEATS)
                runs = [ms / batch for ms in stats.latency_runs_ms]
                self.found[what].update(size_mb=stats.size_bytes / 1e6, fastest_ms=min(runs),
                                        median_ms=statistics.median(runs), side=stats.image_size)
            else:
                name, seed = what
                self.found[name].setdefault("accuracy", []).extend(lab.head_only_accuracy(name, seeds=(seed,)))
            self.draw()
        return self.found

    @staticmethod
    def _doing(kind, what, batch):
        if kind == "costs":
            return (f"{what}: building it, counting its bytes on disk, timing {REPEATS} repeats of a batch of "
                    f"{batch} on one thread...")
        return f"{what[0]}: training a new head on its frozen blocks (seed {what[1]})..."

    def _show(self, found):
        self.result = found
        if self.runner.stop_event.is_set():
            return "Stopped: what was measured is in the table."
        return "Done: measured here, now. Run it again: the timings move, the counts do not."

    def cost(self, name):
        """The cost the budget is about, for ``name`` (None until measured)."""
        return self.found.get(name, {}).get("fastest_ms" if self.budget_kind == "latency" else "size_mb")

    def within_budget(self, name):
        cost = self.cost(name)
        return None if cost is None else cost <= self.budget

    def draw(self):
        points = [(name, self.cost(name), statistics.fmean(f["accuracy"]) if "accuracy" in f else None)
                  for name, f in self.found.items()]
        figs.update_cost_accuracy(self.fig, points, BUDGETS[self.budget_kind] + " (log scale)", self.budget)
        self.table.value = self.table_html()

    def table_html(self):
        rows = "".join(self._row(name, f) for name, f in self.found.items())
        heads = ["model", "weights", "image", "parameters", "multiply-adds per image", "size on disk",
                 "latency per image: fastest / median", "head-only accuracy, digits", "within your budget?"]
        head = "".join(f"<th scope='col'>{h}</th>" for h in heads)
        return (f"<table style='border-spacing:12px 2px'><caption>Measured here, now ({REPEATS} timed repeats on "
                f"one CPU thread, batch of "
                f"{self.batch_size})</caption><tr>{head}</tr>{rows}</table>")

    def _row(self, name, f):
        def cell(key, shown):
            return shown(f[key]) if key in f else ("&mdash;" if "problem" in f else "&hellip;")

        weights = "pre-trained (course)" if name in lab.COURSE_MODELS else "random (no download)"
        accuracy = (cell("accuracy", lambda a: f"{statistics.fmean(a):.1%} ({len(a)} seeds)")
                    if name in lab.COURSE_MODELS else "not measured")
        fits = self.within_budget(name)
        verdict = "&hellip;" if fits is None else "yes" if fits else "no: over"
        timing = (cell("fastest_ms", lambda ms: f"{ms:.3g} / {f['median_ms']:.3g} ms") if "problem" not in f
                  else html.escape(f["problem"]))
        return (f"<tr><td style='text-align:left'>{html.escape(name)}</td><td>{weights}</td>"
                f"<td>{cell('side', lambda s: f'{s} px')}</td><td>{cell('parameters', readable)}</td>"
                f"<td>{cell('multiply_adds', readable)}</td><td>{cell('size_mb', lambda mb: f'{mb:.3g} MB')}</td>"
                f"<td>{timing}</td><td>{accuracy}</td><td>{verdict}</td></tr>")
