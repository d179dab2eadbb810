"""Explain in your own words: write, submit, and see which ideas you covered, with a model answer beside
yours and the ideas highlighted in both. Text is stored, never run.

The concept detector (:mod:`widgets.modes.content.concepts`) ticks the ideas it finds, afresh at every submit
(an answer replaced by "I don't know" keeps no tick); the learner may then tick or untick. An answer is at most
:data:`MAX_ANSWER` characters: a longer one is refused with a message, kept in the box, and not stored.
"""

import html

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import HintBox, ModeView, button
from .content.concepts import MAX_TEXT, covered, detect
from .markup import md, note

MAX_ANSWER = MAX_TEXT  # characters; a few paragraphs is plenty, and the detector reads no more
MARKS = ("#fde293", "#c6e7ff", "#d5f5d0", "#f9d3e8", "#e3d7ff")  # one light background per concept


def highlight(text, concepts):
    """``text`` as HTML (escaped), each concept the detector finds marked and numbered."""
    text = str(text)
    out, position = [], 0
    for match in sorted(detect(text, concepts), key=lambda m: m.start):
        if match.start < position:
            continue
        out.append(html.escape(text[position:match.start]))
        n = match.concept
        title = html.escape(concepts[n]["concept"], quote=True)
        out.append(f"<mark style='background:{MARKS[n % len(MARKS)]};color:#202124;border-radius:3px;padding:0 2px'"
                   f" title='{title}'>{html.escape(text[match.start:match.end])}<sup>{n + 1}</sup></mark>")
        position = match.end
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\n", "<br>")


def too_long(text):
    """The message for an answer over :data:`MAX_ANSWER` characters, or "" when it fits."""
    n = len(str(text))
    if n <= MAX_ANSWER:
        return ""
    return (f"Your answer has {n:,} characters; keep it under {MAX_ANSWER:,} (a few sentences are enough). "
            "It was not submitted: shorten it and submit again.")


class ExplainPrompt:
    """One prompt's state. :meth:`submit` ticks the concepts the detector finds in the new text; the learner
    may change that with :meth:`tick` / :meth:`untick`."""

    def __init__(self, item, text="", ticked=()):
        self.item = item
        self.text = str(text)[:MAX_ANSWER]
        self.concepts = [c["concept"] for c in item["concepts"]]
        self.ticked = [c for c in self.concepts if c in set(ticked)]
        self.submitted = bool(text)

    def suggestions(self, text=None):
        """The concepts the detector finds in the text (the learner's by default)."""
        return covered(self.text if text is None else text, self.item["concepts"])

    def submit(self, text):
        """Keep the text (as plain text: it is never evaluated) and tick the concepts the detector finds in it.

        Every submit starts again from the new text: ticks from an earlier answer do not stay on an answer that
        no longer says them. Raises ValueError (with :func:`too_long`'s message) for an answer over
        :data:`MAX_ANSWER` characters, and keeps the previous one."""
        text = str(text)
        if too_long(text):
            raise ValueError(too_long(text))
        self.text = text
        self.submitted = True
        self.ticked = self.suggestions()
        return list(self.ticked)

    def tick(self, concept, on=True):
        if concept not in self.concepts:
            raise ValueError(f"unknown concept {concept!r}; the checklist is: {', '.join(self.concepts)}")
        if on:
            if concept not in self.ticked:
                self.ticked.append(concept)
        else:
            if concept in self.ticked:
                self.ticked.remove(concept)
        self.ticked = [c for c in self.concepts if c in self.ticked]

    def untick(self, concept):
        self.tick(concept, on=False)

    @property
    def score(self):
        return len(self.ticked), len(self.concepts)

    def summary(self):
        covered_, total = self.score
        return f"{covered_} / {total} concepts"

    def comparison_html(self):
        """The learner's text and the model answer side by side, the concepts highlighted and numbered."""
        concepts = self.item["concepts"]
        legend = "".join(
            f"<li><span style='background:{MARKS[k % len(MARKS)]};padding:0 4px;border-radius:3px'>{k + 1}</span> "
            f"{html.escape(c['concept'])}</li>" for k, c in enumerate(concepts)
        )
        cell = "flex:1 1 280px;border:1px solid #dadce0;border-radius:4px;padding:6px"
        return (
            "<div style='display:flex;gap:8px;flex-wrap:wrap'>"
            f"<div style='{cell}'><b>Your answer</b><br>{highlight(self.text, concepts)}</div>"
            f"<div style='{cell}'><b>A model answer</b><br>{highlight(self.item['model_answer'], concepts)}</div>"
            f"</div><ol style='list-style:none;padding-left:0;margin:4px 0'>{legend}</ol>"
        )


class Explain(ModeView):
    """All of a lesson's explain prompts, one after the other."""

    section = "explain"

    def __init__(self, prompts, lesson_id=None, store=None):
        super().__init__(lesson_id, store)
        saved = self.saved()
        self.prompts = []
        self.panels = []
        for item in prompts:
            record = saved.get(item["id"], {})
            record = record if isinstance(record, dict) else {}
            prompt = ExplainPrompt(item, text=str(record.get("text", "")), ticked=record.get("covered", ()) or ())
            self.prompts.append(prompt)
            self.panels.append(self._panel(prompt))
        self.children = self.panels

    def _panel(self, prompt):
        item = prompt.item
        title = ipw.HTML(f"<b>Explain in your own words:</b> {md(item['prompt'])}")
        hints = HintBox()
        text = ipw.Textarea(value=prompt.text, placeholder="Write a few sentences, as if to a friend...",
                            description="Your answer", layout=ipw.Layout(width="100%", height="110px"),
                            style={"description_width": "initial"})
        done = button("Submit: compare with a model answer", primary=True)
        boxes = [ipw.Checkbox(value=c in prompt.ticked, description=c, indent=False, layout=ipw.Layout(width="auto"))
                 for c in prompt.concepts]
        intro = ipw.HTML("<i>The ideas found in your text are ticked, afresh at each submit. Tick or untick; "
                         "you decide.</i>")
        comparison = ipw.HTML()
        checklist = ipw.VBox([comparison, intro] + boxes)
        score = LiveHTML()
        updating = [False]

        def show_score():
            if not prompt.submitted:
                score.value = ""
                return
            covered_, total = prompt.score
            everything = covered_ == total
            message = f"You covered <b>{prompt.summary()}</b>." + (" All of them." if everything else "")
            score.value = note(message, "good" if everything else "info")

        def on_done(_):
            if not text.value.strip():
                score.value = note("Write something first: a few sentences are enough.", "warn")
                return
            if too_long(text.value):
                score.value = note(too_long(text.value), "warn")  # the text stays in the box: nothing is lost
                return
            prompt.submit(text.value)
            updating[0] = True  # pre-ticking is not the learner ticking: save once, below
            try:
                for box in boxes:
                    box.value = box.description in prompt.ticked
            finally:
                updating[0] = False
            comparison.value = prompt.comparison_html()
            panel.children = before_checklist + [checklist, score]
            show_score()
            self._save(prompt)
            score.focus()

        def on_tick(change):
            if not prompt.submitted or updating[0]:
                return
            prompt.tick(change["owner"].description, change["new"])
            show_score()
            self._save(prompt)

        for box in boxes:
            box.observe(on_tick, names="value")
        done.on_click(on_done)
        hints.button.on_click(lambda _: hints.show(item["hint"]))
        show_score()
        if prompt.submitted:
            comparison.value = prompt.comparison_html()
        before_checklist = [title, text, ipw.HBox([done, hints.button]), hints]
        # the checklist and the model answer appear once the learner has written something
        panel = ipw.VBox(before_checklist + ([checklist] if prompt.submitted else []) + [score],
                         layout=ipw.Layout(border="1px solid #dadce0", padding="6px", margin="0 0 8px 0"))
        # handles for tests, which click and type like a learner
        panel.text, panel.done_button, panel.boxes, panel.checklist, panel.score = text, done, boxes, checklist, score
        panel.comparison = comparison
        return panel

    def _save(self, prompt):
        self.save(prompt.item["id"], {"text": prompt.text, "covered": list(prompt.ticked),
                                      "detected": prompt.suggestions(), "of": len(prompt.concepts)})
