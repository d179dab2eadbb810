"""Explain in your own words: write, then tick the concepts you covered. Text is stored, never run."""

import re

import ipywidgets as ipw

from ._html import md, note
from .store import default_store


class ExplainPrompt:
    """One prompt's state. :meth:`submit` suggests concepts whose keywords appear in the text; the learner
    decides with :meth:`tick` / :meth:`untick`."""

    def __init__(self, item, text="", ticked=()):
        self.item = item
        self.text = text
        self.concepts = [c["concept"] for c in item["concepts"]]
        self.ticked = [c for c in self.concepts if c in set(ticked)]
        self.submitted = bool(text)
        self.dismissed = set()  # concepts the learner unticked: never pre-ticked again

    def suggestions(self, text=None):
        """Concepts whose keywords (whole words or phrases, any case) appear in the text."""
        text = (self.text if text is None else text).lower()
        found = []
        for concept in self.item["concepts"]:
            for keyword in concept.get("keywords", []):
                if re.search(r"(?<!\w)" + re.escape(str(keyword).lower()) + r"(?!\w)", text):
                    found.append(concept["concept"])
                    break
        return found

    def submit(self, text):
        """Keep the text (as plain text: it is never evaluated) and pre-tick the suggested concepts.

        Submitting again (after editing) keeps what the learner ticked, and never re-ticks a concept the
        learner unticked: the learner decides."""
        self.text = str(text)
        self.submitted = True
        suggested = [c for c in self.suggestions() if c not in self.dismissed]
        self.ticked = [c for c in self.concepts if c in self.ticked or c in suggested]
        return list(self.ticked)

    def tick(self, concept, on=True):
        if concept not in self.concepts:
            raise ValueError(f"unknown concept {concept!r}; the checklist is: {', '.join(self.concepts)}")
        if on:
            self.dismissed.discard(concept)
            if concept not in self.ticked:
                self.ticked.append(concept)
        else:
            self.dismissed.add(concept)
            if concept in self.ticked:
                self.ticked.remove(concept)
        self.ticked = [c for c in self.concepts if c in self.ticked]

    def untick(self, concept):
        self.tick(concept, on=False)

    @property
    def score(self):
        return len(self.ticked), len(self.concepts)

    def summary(self):
        covered, total = self.score
        return f"{covered} / {total} concepts"


class Explain(ipw.VBox):
    """All of a lesson's explain prompts, one after the other."""

    def __init__(self, prompts, lesson_id=None, store=None):
        self.lesson_id = lesson_id
        self.store = store if store is not None else (default_store() if lesson_id else None)
        saved = self.store.lesson(lesson_id)["explain"] if self.store is not None and lesson_id else {}
        self.prompts = []
        self.panels = []
        for item in prompts:
            record = saved.get(item["id"], {})
            prompt = ExplainPrompt(item, text=record.get("text", ""), ticked=record.get("covered", ()))
            self.prompts.append(prompt)
            self.panels.append(self._panel(prompt))
        super().__init__(self.panels)

    def _panel(self, prompt):
        item = prompt.item
        title = ipw.HTML(f"<b>Explain in your own words:</b> {md(item['prompt'])}")
        hint = ipw.HTML()
        hint_button = ipw.Button(description="Hint")
        text = ipw.Textarea(
            value=prompt.text,
            placeholder="Write a few sentences, as if to a friend...",
            layout=ipw.Layout(width="100%", height="110px"),
        )
        done = ipw.Button(description="Done: show checklist", button_style="primary", layout=ipw.Layout(width="auto"))
        boxes = [
            ipw.Checkbox(value=c in prompt.ticked, description=c, indent=False, layout=ipw.Layout(width="auto"))
            for c in prompt.concepts
        ]
        intro = ipw.HTML("<i>Tick each idea you covered. Words in your text pre-tick some; you decide.</i>")
        checklist = ipw.VBox([intro] + boxes)
        score = ipw.HTML()
        updating = [False]

        def show_score():
            if not prompt.submitted:
                score.value = ""
                return
            covered, total = prompt.score
            everything = covered == total
            text = f"You covered <b>{prompt.summary()}</b>." + (" All of them." if everything else "")
            score.value = note(text, "good" if everything else "info")

        def on_done(_):
            if not text.value.strip():
                score.value = note("Write something first: a few sentences are enough.", "warn")
                return
            prompt.submit(text.value)
            updating[0] = True  # pre-ticking is not the learner ticking: save once, below
            try:
                for box in boxes:
                    box.value = box.description in prompt.ticked
            finally:
                updating[0] = False
            panel.children = before_checklist + [checklist, score]
            show_score()
            self._save(prompt)

        def on_tick(change):
            if not prompt.submitted or updating[0]:
                return
            prompt.tick(change["owner"].description, change["new"])
            show_score()
            self._save(prompt)

        def on_hint(_):
            hint.value = note("<b>Hint:</b> " + md(item["hint"]), "warn")

        for box in boxes:
            box.observe(on_tick, names="value")
        done.on_click(on_done)
        hint_button.on_click(on_hint)
        show_score()
        before_checklist = [title, text, ipw.HBox([done, hint_button]), hint]
        # the checklist appears only once the learner has written something
        panel = ipw.VBox(before_checklist + ([checklist] if prompt.submitted else []) + [score],
                         layout=ipw.Layout(border="1px solid #dadce0", padding="6px", margin="0 0 8px 0"))
        # handles for tests, which click and type like a learner
        panel.text, panel.done_button, panel.boxes, panel.checklist, panel.score = text, done, boxes, checklist, score
        return panel

    def _save(self, prompt):
        if self.store is None or not self.lesson_id:
            return
        self.store.record(
            self.lesson_id, "explain", prompt.item["id"],
            {"text": prompt.text, "covered": list(prompt.ticked), "of": len(prompt.concepts)},
        )
