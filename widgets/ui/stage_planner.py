"""StagePlanner (lesson 03): plan the stages of a fine-tune, train them on the course model, and watch the lesson's
meters move as it trains.

Each stage names the blocks that train in it (every other block is frozen) and its steps; each block trains at its
own rate whenever it trains. "gradual unfreezing" (head, then conv3, then conv2) and "head and conv3 at once" are
presets. Train runs the plan in the background (Stop ends it after the current step) and draws, live, the new
task's accuracy (digits test set), the old task's (the forgetting meter: letters read with the original head) and
how far each block moved (the drift meter), with a dotted line where each stage starts. Every finished run stays
in the table below. The run is ``widgets.labs.strategy.planned``: the lesson's own run spec, so the gradual preset
ends exactly where the lesson's gradual unfreezing does. The settings (``stages``, ``rates``, ``preset``, ``seed``)
are traitlets: ``observe`` them, or ``ipywidgets.link`` them.
"""

import html

import ipywidgets as ipw
import traitlets

from ..accessible import PressedToggle, RadioGroup
from ..engine import checks
from ..figures import stages as figs
from ..kit.course import BLOCKS
from ..kit.model import BACKBONE_BLOCKS
from ..labs import strategy as lab
from .inputs import TypedBoxes, rate_box
from .messages import ERROR, message_html, shown_in
from .runner import BackgroundRunner, RunsItsJob

MAX_STAGES, MAX_STEPS = 4, 300
OWN_PLAN = "your own plan"


def describe(stages):
    """``"head 60 → conv3+head 60"``: a plan in one line."""
    return " → ".join(f"{'+'.join(blocks)} {steps}" for blocks, steps in stages)


def trained_rates(stages, rates):
    """``"conv3 0.0001, head 0.01"``: the rates of the blocks that train in some stage."""
    return ", ".join(f"{b} {rate:g}" for b, rate in rates.items() if any(b in blocks for blocks, _ in stages))


class StagePlanner(RunsItsJob, ipw.VBox):
    """Stages (which blocks train, for how many steps), a rate per block and a seed; Train runs them with the
    lesson's meters drawn live."""

    display_name = "StagePlanner"
    stages = traitlets.Tuple(lab.PLANS["gradual unfreezing"])
    rates = traitlets.Dict(dict(lab.RATES))
    preset = traitlets.Unicode("gradual unfreezing")
    seed = traitlets.Int(0)

    def __init__(self, preset="gradual unfreezing", stages=None, rates=None, seed=0):
        super().__init__()
        self.runs, self.result = [], None
        self.rates, self.seed = dict(lab.RATES if rates is None else rates), seed
        if stages is None:
            self.preset = preset  # sets the stages
        else:
            self.stages = stages  # names the preset they match, if any
        self.message = ipw.HTML()
        self.boxes = TypedBoxes(self, self.say)
        plans = [*lab.PLANS, OWN_PLAN]  # a radio group: one Tab stop, the arrow keys choose (JupyterLab keeps out)
        self.preset_box = RadioGroup(labels=plans, label="plan")
        traitlets.link((self, "preset"), (self.preset_box, "index"), transform=(plans.index, plans.__getitem__))
        self.rows = [self._stage_row(k) for k in range(MAX_STAGES)]
        self.add_button = ipw.Button(description="Add a stage", icon="plus", layout=ipw.Layout(width="auto"))
        self.remove_button = ipw.Button(description="Remove the last stage", icon="minus",
                                        layout=ipw.Layout(width="auto"))
        self.add_button.on_click(shown_in(self.say)(lambda _: self.add_stage()))
        self.remove_button.on_click(shown_in(self.say)(lambda _: self.remove_stage()))
        self.rate_boxes = {block: self.boxes.tie(rate_box(block, rate, width="140px"), "rates",
                                                 shown=lambda rates, b=block: f"{rates[b]:g}",
                                                 typed=lambda text, b=block: {**self.rates, b: text})
                           for block, rate in self.rates.items()}
        self.seed_box = ipw.BoundedIntText(description="seed", min=0, max=10_000, layout=ipw.Layout(width="150px"))
        traitlets.link((self, "seed"), (self.seed_box, "value"))
        self.runner = BackgroundRunner(self._job, on_done=self._show)
        self.fig = figs.stage_meters_figure(widget=True)
        self.table = ipw.HTML()
        self.observe(lambda _: self._show_rows(), names="stages")
        self._show_rows()
        self.children = [ipw.HBox([ipw.HTML("<b>plan</b>"), self.preset_box, self.seed_box]),
                         *[row for row, _, _ in self.rows], ipw.HBox([self.add_button, self.remove_button]),
                         ipw.HBox([ipw.HTML("rate per block, used in every stage where it trains:"),
                                   *self.rate_boxes.values()], layout=ipw.Layout(flex_flow="row wrap")),
                         self.message, self.runner, self.fig, self.table]

    def _stage_row(self, k):
        """Row ``k``: a toggle per block (pressed: it trains in stage k+1) and the stage's steps."""
        toggles = {block: self.boxes.tie(PressedToggle(description=block, tooltip=f"stage {k + 1}: {block} trains"),
                                         "stages", shown=lambda stages, b=block: k < len(stages) and b in stages[k][0],
                                         typed=lambda _: self._stages_from_rows(), key="stages")
                   for block in BLOCKS}
        steps = self.boxes.tie(ipw.IntText(description="steps", layout=ipw.Layout(width="140px")), "stages",
                               shown=lambda stages: stages[k][1] if k < len(stages) else lab.STAGE_STEPS,
                               typed=lambda _: self._stages_from_rows(), key="stages")
        row = ipw.HBox([ipw.HTML(f"<b>stage {k + 1}</b> trains:", layout=ipw.Layout(width="110px")),
                        *toggles.values(), steps])
        return row, toggles, steps

    def _stages_from_rows(self):
        return tuple((tuple(b for b, t in toggles.items() if t.value), steps.value)
                     for _, toggles, steps in self.rows[: len(self.stages)])

    def _show_rows(self):
        for k, (row, _, _) in enumerate(self.rows):
            row.layout.display = None if k < len(self.stages) else "none"

    # ---- settings, validated once ------------------------------------------------------------------------------
    @traitlets.validate("stages")
    def _valid_stages(self, proposal):
        stages = proposal["value"]
        if not 1 <= len(stages) <= MAX_STAGES:
            raise checks.SettingError(f"a plan has 1 to {MAX_STAGES} stages; got {len(stages)}.")
        clean = []
        for k, stage in enumerate(stages, start=1):
            if not (isinstance(stage, (tuple, list)) and len(stage) == 2):
                raise checks.SettingError(f"stage {k} must be (blocks that train, steps), such as "
                                          f"(('conv3', 'head'), 60); got {stage!r}.")
            blocks, steps = ((stage[0],) if isinstance(stage[0], str) else tuple(stage[0])), stage[1]
            for block in blocks:
                checks.choice(block, f"block in stage {k}", BLOCKS)
            if not blocks:
                raise checks.SettingError(f"stage {k} trains nothing: press at least one block (the head, say).")
            clean.append((tuple(b for b in BLOCKS if b in blocks), checks.whole(steps, f"stage {k}'s steps", 1,
                                                                                  MAX_STEPS)))
        return tuple(clean)

    @traitlets.validate("rates")
    def _valid_rates(self, proposal):
        rates = proposal["value"]
        if set(rates) != set(BLOCKS):
            raise checks.SettingError(f"rates must give one rate for each of: {', '.join(BLOCKS)}; "
                                      f"got {', '.join(map(str, rates)) or 'none'}.")
        return {block: checks.rate(rates[block], f"rate for {block}") for block in BLOCKS}

    @traitlets.validate("preset")
    def _valid_preset(self, proposal):
        return checks.choice(proposal["value"], "plan", [*lab.PLANS, OWN_PLAN])

    @traitlets.validate("seed")
    def _valid_seed(self, proposal):
        return checks.whole(proposal["value"], "seed", 0, 10_000)

    @traitlets.observe("preset")
    def _stages_of_preset(self, change):
        if change["new"] in lab.PLANS:
            self.stages = lab.PLANS[change["new"]]

    @traitlets.observe("stages")
    def _preset_of_stages(self, change):
        self.preset = next((name for name, plan in lab.PLANS.items() if plan == change["new"]), OWN_PLAN)

    def add_stage(self):
        """One more stage: the last one's blocks, for the lesson's stage length."""
        self.boxes.refuse_if_any()
        if len(self.stages) >= MAX_STAGES:
            raise checks.SettingError(f"a plan has at most {MAX_STAGES} stages.")
        self.stages = (*self.stages, (self.stages[-1][0], lab.STAGE_STEPS))

    def remove_stage(self):
        self.boxes.refuse_if_any()
        if len(self.stages) == 1:
            raise checks.SettingError("a plan needs at least one stage.")
        self.stages = self.stages[:-1]

    def say(self, text, colour=ERROR):
        self.message.value = message_html(text, colour) if text else ""

    # ---- running -----------------------------------------------------------------------------------------------
    def _job(self, progress, stop):
        self.boxes.refuse_if_any()
        stages, rates, seed = self.stages, dict(self.rates), self.seed
        progress(0, "Preparing: the course model, its images and the frozen blocks' features...")
        total = sum(steps for _, steps in stages)
        labels = [f"stage {k}: {'+'.join(blocks)}" for k, (blocks, _) in enumerate(stages, start=1)]
        drawn = [0]  # evaluations on the chart: redraw when one is added, not at every step

        def live(found):
            progress(found["step"] / total, f"{labels[len(found['stage_starts']) - 1]}: step {found['step']} of "
                                            f"{total}")
            if len(found["eval_steps"]) != drawn[0]:
                drawn[0] = len(found["eval_steps"])
                self.draw(found, labels)

        found = lab.planned(stages, seed, rates, eval_every=max(5, total // 12), callback=live, stop=stop)
        self.draw(found, labels)
        self.runs.append({"plan": describe(stages), "rates": trained_rates(stages, rates), "seed": seed,
                          "found": found})
        return found

    def draw(self, found, labels):
        drift = {b: found["drift_curve"].get(b, []) for b in BACKBONE_BLOCKS}
        figs.update_stage_meters(self.fig, found["eval_steps"], found["digits"], found["letters_curve"], drift,
                                 list(zip(found["stage_starts"], labels)))

    def _show(self, found):
        self.result = found
        self.table.value = self.table_html()
        if found["status"] == "stopped":
            return "Stopped: the run so far is in the table below."
        return (f"Done: digits {found['accuracy'][-1]:.1%}, letters {found['letters'][-1]:.1%} after the last stage. "
                "Every run is in the table below.")

    def table_html(self):
        head = "".join(f"<th scope='col'>drift {b}</th>" for b in BACKBONE_BLOCKS)
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(r['plan'])}</td>"
            f"<td style='text-align:left'>{html.escape(r['rates'])}</td><td>{r['seed']}</td>"
            f"<td>{r['found']['accuracy'][-1]:.1%}</td><td>{r['found']['letters'][-1]:.1%}</td>"
            + "".join(f"<td>{r['found']['drift'][-1].get(b, 0.0):.4f}</td>" for b in BACKBONE_BLOCKS)
            + f"<td>{r['found']['status']}</td></tr>"
            for r in self.runs if r["found"]["accuracy"])
        return ("<table style='border-spacing:12px 2px'><caption>Every run so far (the plan: blocks and steps per "
                "stage)</caption><tr>"
                "<th scope='col' style='text-align:left'>plan</th><th scope='col' style='text-align:left'>rates</th>"
                "<th scope='col'>seed</th>"
                "<th scope='col'>digits (new task)</th><th scope='col'>letters (old task)</th>"
                f"{head}<th scope='col'>how it ended</th></tr>{rows}</table>")
