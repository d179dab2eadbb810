"""The question part that the quiz, the challenge, practice, the diagnostic and the review share: checking an
answer, the order options are shown in, and one question drawn as a radio group, or as a number box for an item
answered with a number (``numeric``, see :mod:`widgets.modes.content.numeric`)."""

import random
from dataclasses import dataclass

import ipywidgets as ipw

from ..accessible import LiveHTML, RadioGroup
from .content import level
from .content.numeric import EXAMPLES, NumberError, fmt, miss_explanation, parse_number, within
from .markup import code_block, escape, level_tag, md, note, tag


@dataclass
class Feedback:
    """What the learner sees after choosing an option."""

    correct: bool
    chosen: int  # the option's index in the content file; for a numeric item, the number typed
    right: int  # the right option's index; for a numeric item, the value
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


def is_numeric(item):
    return "numeric" in item


def right_answer(item):
    """The right answer's text and why it is right, for an item with options or a numeric one."""
    if is_numeric(item):
        spec = item["numeric"]
        unit = f" {spec['unit']}" if spec.get("unit") else ""
        return fmt(spec["value"]) + unit, spec["explanation"]
    right = item["options"][right_index(item)]
    return right["text"], right["explanation"]


def check_number(item, typed):
    """Feedback for typing ``typed`` (text or a number) as the answer to a numeric item; raises
    :class:`~widgets.modes.content.numeric.NumberError` with a readable message when it is not a number."""
    spec = item["numeric"]
    number = float(typed) if isinstance(typed, (int, float)) and not isinstance(typed, bool) else \
        parse_number(typed, spec.get("unit", ""))
    number = int(number) if number.is_integer() and abs(number) < 2**53 else number
    correct = within(number, float(spec["value"]), spec.get("tolerance", 0))
    right_text, right_explanation = right_answer(item)
    return Feedback(correct=correct, chosen=number, right=spec["value"], chosen_text=fmt(number),
                    chosen_explanation=spec["explanation"] if correct else miss_explanation(spec, number),
                    right_text=right_text, right_explanation=right_explanation)


def check(item, chosen):
    """Feedback for choosing option ``chosen`` (0-based, in the content file's order) of an item, or for the
    number typed as the answer to a numeric item."""
    if is_numeric(item):
        return check_number(item, chosen)
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
    order = list(range(len(item.get("options") or [])))
    random.Random(str(item["id"])).shuffle(order)
    return order


def prompt_html(item, heading="", category=None):
    """The question of an item (quiz/challenge ``question``, practice ``problem``), with its level and code."""
    tags = (tag(category, "#6a1b9a") if category else "") + level_tag(level(item))
    text = item.get("question") or item.get("problem") or ""
    code = code_block(item["code"]) if item.get("code") else ""
    return f"{tags} {heading}<div style='margin-top:6px'>{md(text)}</div>{code}"


class ChoiceQuestion(ipw.VBox):
    """One question: its text and its options as one radio group (one Tab stop; arrow keys choose), or, for a
    numeric item, a text box for the number.

    :attr:`value` is the chosen option's index in the content file, or the number typed (None: nothing chosen
    yet, or text that is not a number: :attr:`message` says what to type, live under the box)."""

    def __init__(self):
        self.item = None
        self.order = []
        self.prompt = ipw.HTML()
        self.options = RadioGroup(label="Answer options")
        self.number = ipw.Text(placeholder=EXAMPLES, description="Your answer:", continuous_update=True,
                               style={"description_width": "initial"}, layout=ipw.Layout(width="320px"))
        self.unit = ipw.HTML()
        self.message = LiveHTML()
        self.number.observe(lambda _: self._read_number(), names="value")
        super().__init__([self.prompt, self.options])

    @property
    def numeric(self):
        return self.item is not None and is_numeric(self.item)

    def show(self, item, heading="", category=None, hidden=False):
        """Draw ``item``; ``hidden`` shows only its heading (a challenge before Start)."""
        self.item = item
        self.order = display_order(item)
        self.prompt.value = prompt_html(item, heading, category) if not hidden else (
            (tag(category, "#6a1b9a") if category else "") + level_tag(level(item)) + f" {heading}"
        )
        self.options.labels = [] if hidden or self.numeric else [item["options"][k]["text"] for k in self.order]
        self.options.index = -1
        self.options.label = f"Answer options: {heading}" if heading else "Answer options"
        self.number.value = ""
        self.message.value = ""
        unit = str(item["numeric"].get("unit", "")) if self.numeric else ""
        self.unit.value = escape(unit)
        if self.numeric and not hidden:
            self.children = [self.prompt, ipw.HBox([self.number, self.unit]), self.message]
        else:
            self.children = [self.prompt, self.options]

    def _read_number(self):
        """Parse the box's text as the learner types; say at once what is wrong with text that is no number."""
        if not self.numeric:
            return None
        try:
            number = parse_number(self.number.value, self.item["numeric"].get("unit", ""))
        except NumberError as err:
            self.message.value = note(escape(err), "warn") if self.number.value.strip() else ""
            return None
        self.message.value = ""
        return number

    @property
    def value(self):
        if self.numeric:
            return self._read_number()
        index = self.options.index
        return self.order[index] if 0 <= index < len(self.order) else None

    @value.setter
    def value(self, chosen):
        if self.numeric:
            self.number.value = "" if chosen is None else (chosen if isinstance(chosen, str) else fmt(chosen))
            return
        self.options.index = -1 if chosen is None else self.order.index(chosen)

    @property
    def missing(self):
        """What to tell a learner who pressed Check with no answer (or text that is not a number)."""
        if not self.numeric:
            return "Pick an option first."
        try:
            parse_number(self.number.value, self.item["numeric"].get("unit", ""))
        except NumberError as err:
            return str(err)
        return ""

    @property
    def disabled(self):
        return self.options.disabled

    @disabled.setter
    def disabled(self, on):
        self.options.disabled = bool(on)
        self.number.disabled = bool(on)

    def on_enter(self, callback):
        self.options.on_enter(callback)

    def focus(self):
        if self.numeric:
            self.number.focus()
        else:
            self.options.focus()
