"""TwoStartsLab (lesson 01): train a pre-trained and a random start side by side, and change what decides the race.

The learner sets the labelled images per digit, the step budget, which starts race and the seed; Train runs each
start in turn in the background (Stop ends the run in progress and skips the rest), drawing training accuracy
(solid) and test accuracy (dashed) as they grow, so a start that has not yet fitted its own images shows it. Every
finished run stays in the table below, to compare settings. The runs are ``widgets.labs.transfer.live_run``: the
claims' own recipe for each start. The settings are traitlets: ``observe`` them, or ``ipywidgets.link`` them.
"""

import html

import ipywidgets as ipw
import traitlets

from ..engine import checks
from ..figures import training as figs
from ..labs import transfer as lab
from .runner import BackgroundRunner, RunsItsJob

LABELS_RANGE, STEPS_RANGE = (5, 50), (10, 800)


class TwoStartsLab(RunsItsJob, ipw.VBox):
    """Two starts (or three) on the same images, the same batches and the same budget: only the start differs."""

    display_name = "TwoStartsLab"
    labels = traitlets.Int(10)
    steps = traitlets.Int(lab.LESSON_STEPS)
    starts = traitlets.Tuple(("scratch", "finetune"))
    seed = traitlets.Int(0)

    def __init__(self, labels=10, steps=lab.LESSON_STEPS, starts=("scratch", "finetune"), seed=0):
        super().__init__()
        self.runs, self.result, self._syncing = [], None, False
        self.labels, self.steps, self.starts, self.seed = labels, steps, tuple(starts), seed
        # number boxes, not sliders: ipywidgets' slider handle has no accessible name (axe), a labelled box does
        self.labels_box = ipw.BoundedIntText(description="labels per digit", min=LABELS_RANGE[0],
                                             max=LABELS_RANGE[1], style={"description_width": "initial"},
                                             layout=ipw.Layout(width="200px"))
        self.steps_box = ipw.BoundedIntText(description="steps", min=STEPS_RANGE[0], max=STEPS_RANGE[1], step=10,
                                            layout=ipw.Layout(width="160px"))
        self.start_boxes = {key: ipw.Checkbox(description=name, indent=False, layout=ipw.Layout(width="220px"))
                            for key, name in lab.STARTS.items()}
        self.seed_box = ipw.BoundedIntText(description="seed", min=0, max=10_000, layout=ipw.Layout(width="160px"))
        traitlets.link((self, "labels"), (self.labels_box, "value"))
        traitlets.link((self, "steps"), (self.steps_box, "value"))
        traitlets.link((self, "seed"), (self.seed_box, "value"))
        for key, box in self.start_boxes.items():
            box.value = key in self.starts
            box.observe(lambda _change: self._starts_from_boxes(), names="value")
        self.observe(lambda change: self._boxes_from_starts(), names="starts")
        self.runner = BackgroundRunner(self._job, on_done=self._show)
        self.fig = figs.train_val_figure(widget=True, title="Accuracy: training images (solid) vs test images (dashed)")
        self.table = ipw.HTML()
        self.children = [ipw.HBox([self.labels_box, self.steps_box, self.seed_box]),
                         ipw.HBox(list(self.start_boxes.values())), self.runner, self.fig, self.table]

    # ---- settings, validated once ------------------------------------------------------------------------------
    @traitlets.validate("labels")
    def _valid_labels(self, proposal):
        return checks.whole(proposal["value"], "labels per digit", *LABELS_RANGE)

    @traitlets.validate("steps")
    def _valid_steps(self, proposal):
        return checks.whole(proposal["value"], "steps", *STEPS_RANGE)

    @traitlets.validate("seed")
    def _valid_seed(self, proposal):
        return checks.whole(proposal["value"], "seed", 0, 10_000)

    @traitlets.validate("starts")
    def _valid_starts(self, proposal):
        starts = tuple(proposal["value"])
        for start in starts:
            checks.choice(start, "start", list(lab.STARTS))
        return tuple(key for key in lab.STARTS if key in starts)  # the table's order, once each

    def _starts_from_boxes(self):
        if not self._syncing:
            self.starts = tuple(key for key, box in self.start_boxes.items() if box.value)

    def _boxes_from_starts(self):
        self._syncing = True  # the boxes follow the trait; their own observers must not write it back half-way
        try:
            for key, box in self.start_boxes.items():
                box.value = key in self.starts
        finally:
            self._syncing = False

    # ---- running -----------------------------------------------------------------------------------------------
    def _job(self, progress, stop):
        if not self.starts:
            raise checks.SettingError("tick at least one start to train.")
        labels, steps, seed, starts = self.labels, self.steps, self.seed, self.starts
        finished = {}
        for i, start in enumerate(starts):
            name = f"{lab.STARTS[start]}"

            drawn = [0]  # evaluations on the plot: redraw when one is added, not at every step

            def live(history, i=i, name=name, drawn=drawn):
                # the evaluation at step 0 is a unit of the work too: the bar moves when the first point is drawn
                done = (len(history.loss) + 1) / (steps + 1)
                progress((i + done) / len(starts), f"{name}: step {len(history.loss)} of {steps}")
                if len(history.eval_steps) != drawn[0]:
                    drawn[0] = len(history.eval_steps)
                    figs.update_train_val(self.fig, {**finished, name: history}, held_out="test")

            finished[name] = lab.live_run(start, labels, steps, seed, callback=live, stop=stop)
            self.runs.append({"start": name, "labels": labels, "steps": steps, "seed": seed,
                              "history": finished[name]})
            if stop.is_set():
                break
        return finished

    def _show(self, finished):
        self.result = finished
        figs.update_train_val(self.fig, finished, held_out="test")
        self.table.value = self.table_html()
        return "Stopped." if self.runner.stop_event.is_set() else "Done: every run is in the table below."

    def table_html(self):
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(r['start'])}</td><td>{r['labels']}</td><td>{r['steps']}</td>"
            f"<td>{r['seed']}</td><td>{r['history'].final['train_acc']:.0%}</td>"
            f"<td>{r['history'].final['val_acc']:.0%}</td><td>{html.escape(r['history'].status)}</td></tr>"
            for r in self.runs)
        return ("<table style='border-spacing:14px 2px'><caption style='text-align:left'>Every run so far</caption>"
                "<tr><th scope='col' style='text-align:left'>start</th>"
                "<th scope='col'>labels per digit</th><th scope='col'>steps</th><th scope='col'>seed</th>"
                "<th scope='col'>training accuracy</th><th scope='col'>test accuracy</th>"
                f"<th scope='col'>how it ended</th></tr>{rows}</table>")
