"""The multiple-choice part that the quiz, the challenge, practice, the diagnostic and the review share:
checking an answer, the order options are shown in, and one question drawn as a radio group."""

import random
from dataclasses import dataclass

import ipywidgets as ipw

from ..accessible import RadioGroup
from .content import level
from .markup import code_block, level_tag, md, note, tag


@dataclass
class Feedback:
    """What the learner sees after choosing an option."""

    correct: bool
    chosen: int
    right: int
    chosen_text: str
    chosen_explanation: str
    right_text: str
    right_explanation: str

    def html(self):
        mark = "&#10003; Right." if self.correct else "&#10007; Not quite."
        parts = [f"<b>{mark}</b> {md(self.chosen_explanation)}"]
        if not self.correct:
            # option texts may end in a full stop: the explanation goes on a line of its own, never after a colon
            parts.append(f"<b>The answer:</b> {md(self.right_text)}<br><b>Why:</b> {md(self.right_explanation)}")
        return note("<br>".join(parts), "good" if self.correct else "bad")


def right_index(item):
    return next(k for k, option in enumerate(item["options"]) if option.get("correct") is True)


def check(item, chosen):
    """Feedback for choosing option ``chosen`` (0-based, in the content file's order) of an item."""
    options = item["options"]
    if not isinstance(chosen, int) or isinstance(chosen, bool) or not 0 <= chosen < len(options):
        raise ValueError(f"choose an option between 1 and {len(options)}")
    right = right_index(item)
    return Feedback(
        correct=chosen == right,
        chosen=chosen,
        right=right,
        chosen_text=options[chosen]["text"],
        chosen_explanation=options[chosen]["explanation"],
        right_text=options[right]["text"],
        right_explanation=options[right]["explanation"],
    )


def display_order(item):
    """The order options are shown in: shuffled, so the right one is not always in the same place, but the
    same order every time for a given item (seeded by its id), so a learner and a test see the same thing."""
    order = list(range(len(item["options"])))
    random.Random(str(item["id"])).shuffle(order)
    return order


def prompt_html(item, heading="", category=None):
    """The question of an item (quiz/challenge ``question``, practice ``problem``), with its level and code."""
    tags = (tag(category, "#6a1b9a") if category else "") + level_tag(level(item))
    text = item.get("question") or item.get("problem") or ""
    code = code_block(item["code"]) if item.get("code") else ""
    return f"{tags} {heading}<div style='margin-top:6px'>{md(text)}</div>{code}"


class ChoiceQuestion(ipw.VBox):
    """One question: its text and its options as one radio group (one Tab stop; arrow keys choose).

    :attr:`value` is the chosen option's index in the content file (None: nothing chosen yet)."""

    def __init__(self):
        self.item = None
        self.order = []
        self.prompt = ipw.HTML()
        self.options = RadioGroup(label="Answer options")
        super().__init__([self.prompt, self.options])

    def show(self, item, heading="", category=None, hidden=False):
        """Draw ``item``; ``hidden`` shows only its heading (a challenge before Start)."""
        self.item = item
        self.order = display_order(item)
        self.prompt.value = prompt_html(item, heading, category) if not hidden else (
            (tag(category, "#6a1b9a") if category else "") + level_tag(level(item)) + f" {heading}"
        )
        self.options.labels = [] if hidden else [item["options"][k]["text"] for k in self.order]
        self.options.index = -1
        self.options.label = f"Answer options: {heading}" if heading else "Answer options"

    @property
    def value(self):
        index = self.options.index
        return self.order[index] if 0 <= index < len(self.order) else None

    @value.setter
    def value(self, chosen):
        self.options.index = -1 if chosen is None else self.order.index(chosen)

    @property
    def disabled(self):
        return self.options.disabled

    @disabled.setter
    def disabled(self, on):
        self.options.disabled = bool(on)

    def on_enter(self, callback):
        self.options.on_enter(callback)

    def focus(self):
        self.options.focus()
