"""Test this pattern: a diagnostic in two parallel forms (A and B) of the lesson's own questions, easy to hard,
drawn from its core path. Take one form before the lesson and the other after it: answers are shown only at the
end of a run, every run is kept, and the second shows the gain over the first.

A run is saved after every answer (nothing is lost when the kernel stops) in the lesson's ``diagnostic``
section, one entry per run under ``run-<start time>``: ``{form, started, finished, seconds, answers: {item id:
{chosen, correct}}, score: [right, asked], by_level: {level: [right, asked]}}``; :func:`diagnostic_runs` reads
them back in the order they were taken.
"""

import time
from dataclasses import dataclass

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import ModeView, button
from .choice import ChoiceQuestion, check, right_answer
from .content import LEVELS, level
from .markup import escape, md, note

STRONG_SHARE = 0.8  # of all questions, and at least half of each level
FORMS = ("A", "B")


def section_anchor(number, title):
    """The id JupyterLab gives the heading ``## {number}. {title}`` (spaces become dashes)."""
    return f"{number}. {title}".replace(" ", "-")


def diagnostic_runs(section):
    """The runs saved in a lesson record's ``diagnostic`` section, oldest first (entries that are not runs,
    e.g. answers saved by an older version, are left out)."""
    runs = [value for key, value in (section or {}).items()
            if str(key).startswith("run-") and isinstance(value, dict) and value.get("form") in FORMS]
    return sorted(runs, key=lambda run: str(run.get("started", "")))


def diagnostic_answers(section):
    """Item id -> {chosen, correct} over every finished run, the latest answer winning (for the class report)."""
    out = {}
    for run in diagnostic_runs(section):
        if run.get("finished"):
            out.update({k: v for k, v in (run.get("answers") or {}).items() if isinstance(v, dict)})
    return out


def gain(runs):
    """(first finished run, latest finished run, points gained) once two runs are finished, else None."""
    done = [r for r in runs if r.get("finished") and isinstance(r.get("score"), list) and r["score"][1]]
    if len(done) < 2:
        return None
    first, last = done[0], done[-1]
    return first, last, last["score"][0] - first["score"][0]


@dataclass
class Verdict:
    strong: bool
    by_level: dict  # level -> (right, asked)
    review: list  # (section number, title) to read again, in lesson order

    def html(self, lesson_id=""):
        rows = "".join(f"<tr><td style='padding-right:12px'>{lvl}</td><td><b>{r} / {n}</b></td></tr>"
                       for lvl, (r, n) in self.by_level.items() if n)
        table = f"<table style='margin:4px 0'>{rows}</table>"
        if self.strong:
            text = "<b>Strong.</b> You know this pattern: skim the lesson, then take the challenge."
            return note(text + table, "good")
        links = ", ".join(
            f"<a href='#{escape(section_anchor(number, title))}'>section {number} ({escape(title)})</a>"
            for number, title in self.review
        )
        text = f"<b>Review {links}</b>, then take the quiz." if self.review else "<b>Review the lesson</b>."
        return note(text + table, "info")


class DiagnosticRun:
    """One pass through one form's items; ``sections`` are the lesson's section titles, in order. Answers may
    change until :meth:`finish`; nothing about right or wrong is shown before it."""

    def __init__(self, items, sections=(), form="A", started=None):
        self.items = list(items)
        self.sections = list(sections)
        self.form = form
        self.started = started
        self.answers = {}  # item id -> Feedback (kept from the learner until the run is finished)
        self.done = False

    def answer(self, i, chosen):
        if self.done:
            raise RuntimeError("this run is finished: start a new one")
        item = self.items[i]
        self.answers[item["id"]] = check(item, chosen)
        return self.answers[item["id"]]

    @property
    def finished(self):
        return len(self.answers) == len(self.items)

    def finish(self):
        if not self.finished:
            raise RuntimeError("answer every question first")
        self.done = True

    def by_level(self):
        counts = {lvl: [0, 0] for lvl in LEVELS}
        for item in self.items:
            feedback = self.answers.get(item["id"])
            if feedback is not None:
                counts[level(item)][1] += 1
                counts[level(item)][0] += feedback.correct
        return {lvl: tuple(v) for lvl, v in counts.items()}

    @property
    def score(self):
        return sum(f.correct for f in self.answers.values()), len(self.items)

    def verdict(self):
        scores = self.by_level()
        right = sum(r for r, _ in scores.values())
        asked = sum(n for _, n in scores.values())
        strong = asked > 0 and right >= STRONG_SHARE * asked and all(r * 2 >= n for r, n in scores.values())
        missed = sorted({item["section"] for item in self.items
                         if item["id"] in self.answers and not self.answers[item["id"]].correct and "section" in item})
        review = [(n, self.sections[n - 1]) for n in missed if 1 <= n <= len(self.sections)]
        return Verdict(strong, scores, review)

    def record(self, now):
        """What the progress file keeps of this run."""
        started = self.started or now
        return {"form": self.form, "started": _stamp(started), "finished": _stamp(now) if self.done else None,
                "seconds": round(now - started, 1),
                "answers": {k: {"chosen": f.chosen, "correct": f.correct} for k, f in self.answers.items()},
                "score": list(self.score), "by_level": {k: list(v) for k, v in self.by_level().items()}}

    def review_html(self):
        """Each question with the learner's answer, the right one and why (shown once the run is finished)."""
        rows = []
        for item in self.items:
            feedback = self.answers[item["id"]]
            right_text, why = right_answer(item)
            mark = "&#10003;" if feedback.correct else "&#10007;"
            mine = "" if feedback.correct else f"<br>Your answer: {escape(feedback.chosen_text)} &#8212; " \
                                               f"{md(feedback.chosen_explanation)}"
            question = md(item.get("question") or item.get("problem") or "")
            rows.append(f"<li style='margin-bottom:6px'><b>{mark} {question}</b>{mine}"
                        f"<br>Right answer: {escape(right_text)}<br>Why: {md(why)}</li>")
        return f"<b>Review</b><ol style='margin:4px 0'>{''.join(rows)}</ol>"


def _stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(seconds))


def _forms(items):
    """``{"A": [...], "B": [...]}`` from the lesson's forms, or one list of items taken as form A."""
    return {k: list(v) for k, v in items.items()} if isinstance(items, dict) else {"A": list(items)}


class Diagnostic(ModeView):
    """The diagnostic as a widget: one form's questions one at a time (Back / Next), then the score per level,
    the verdict, the review and, from the second run on, the gain; "New run" takes the other form."""

    section = "diagnostic"

    def __init__(self, forms, sections=(), lesson_id=None, store=None, clock=None):
        super().__init__(lesson_id, store)
        self.forms = _forms(forms)
        self.sections = list(sections)
        self.clock = clock or (self.store.clock if self.store is not None else time.time)
        self.intro = ipw.HTML()
        self.question = ChoiceQuestion()
        self.message = LiveHTML()
        self.result = self.status
        self.back_button = button("Back")
        self.next_button = button("Next", primary=True)
        self.new_button = button("New run")
        self.back_button.on_click(lambda _: self.back())
        self.next_button.on_click(lambda _: self.next())
        self.new_button.on_click(lambda _: self.new_run())
        self.question.on_enter(self.next)
        self.buttons = ipw.HBox([self.back_button, self.next_button, self.new_button])
        self.run, self.index = None, 0
        self._memory = {}
        self._resume_or_start()

    # ---- runs ------------------------------------------------------------------------------------------
    def runs(self):
        """Every run of this lesson's diagnostic, oldest first (kept in memory when there is no lesson to save to)."""
        return diagnostic_runs(self.saved() if self.saving else self._memory)

    def _resume_or_start(self):
        runs = self.runs()
        last = runs[-1] if runs else None
        if last is not None and not last.get("finished") and last["form"] in self.forms:
            self._start(last["form"], _seconds(last.get("started")))
            for i, item in enumerate(self.run.items):  # an unfinished run goes on where it stopped
                answer = (last.get("answers") or {}).get(item["id"])
                if isinstance(answer, dict) and answer.get("chosen") is not None:
                    try:
                        self.run.answer(i, answer["chosen"])
                    except ValueError:  # the item changed since: ask it again
                        pass
            self.index = min(len(self.run.answers), len(self.run.items) - 1)
        else:
            self._start(self._next_form(runs), None)
        self._show()

    def _next_form(self, runs):
        """A first, then the form that was taken least (the other one)."""
        taken = [r["form"] for r in runs if r.get("finished")]
        return min(self.forms, key=lambda f: (taken.count(f), f))

    def _start(self, form, started):
        self.run = DiagnosticRun(self.forms[form], self.sections, form, started)
        self.index = 0

    def _save(self):
        now = self.clock()
        if self.run.started is None:
            self.run.started = now
        record = self.run.record(now)
        key = f"run-{record['started']}-{self.run.form}"  # one entry per run: a later run never overwrites it
        if self.saving:
            self.save(key, record)
        else:
            self._memory[key] = record

    # ---- actions ---------------------------------------------------------------------------------------
    def choose(self, k):
        self.question.value = k

    def next(self):
        """Keep this question's answer and go on; on the last question, finish the run."""
        if self.run.done:
            return
        chosen = self.question.value
        if chosen is None:
            self.message.value = note(escape(self.question.missing), "warn")
            return
        feedback = self.run.answer(self.index, chosen)
        item_id = self.run.items[self.index]["id"]
        # every answer goes into the lesson's answer log too (the run's own record is saved below)
        self.record_answer(item_id, {"chosen": chosen, "correct": feedback.correct, "form": self.run.form}, chosen,
                           feedback.correct)
        if self.index == len(self.run.items) - 1:
            self.run.finish()
        else:
            self.index += 1
        self._save()
        self._show()
        (self.new_button if self.run.done else self.question).focus()

    def back(self):
        if not self.run.done and self.index > 0:
            self.index -= 1
            self._show()
            self.question.focus()

    def new_run(self):
        if not self.run.done:
            return
        self._start(self._next_form(self.runs()), None)
        self._show()
        self.question.focus()

    # ---- drawing ---------------------------------------------------------------------------------------
    def _show(self):
        self.message.value = ""
        n = len(self.run.items)
        self.intro.value = note(
            f"<b>Test this pattern, form {self.run.form}:</b> {n} questions, easy to hard. Your answers and score "
            "come at the end. Take one form before the lesson and the other after it: the second run shows your "
            "gain." + self._history())
        if self.run.done:
            self.result.value = self._result_html()
            self.children = [self.intro, self.result, self.buttons]
        else:
            item = self.run.items[self.index]
            self.question.show(item, f"Question {self.index + 1} of {n}")
            feedback = self.run.answers.get(item["id"])
            if feedback is not None:
                self.question.value = feedback.chosen
            self.result.value = ""
            self.next_button.description = "Finish" if self.index == n - 1 else "Next"
            self.children = [self.intro, self.question, self.buttons, self.message]
        self.back_button.disabled = self.run.done or self.index == 0
        self.next_button.disabled = self.run.done
        self.new_button.disabled = not self.run.done

    def _history(self):
        done = [r for r in self.runs() if r.get("finished")]
        if not done:
            return ""
        listed = "; ".join(f"form {escape(r['form'])} on {escape(str(r['finished'])[:10])}: "
                           f"{r['score'][0]} / {r['score'][1]}" for r in done)
        return f"<br>Your runs: {listed}."

    def _result_html(self):
        right, asked = self.run.score
        out = note(f"<b>Form {self.run.form}: {right} / {asked} right.</b>", "info")
        found = gain(self.runs())
        if found is not None:
            first, last, points = found
            sign = "+" if points >= 0 else ""
            out += note(f"<b>Gain: {sign}{points}</b> since your first run (form {escape(first['form'])}, "
                        f"{first['score'][0]} / {first['score'][1]}) to your latest (form {escape(last['form'])}, "
                        f"{last['score'][0]} / {last['score'][1]}).", "good" if points > 0 else "info")
        return out + self.run.verdict().html() + self.run.review_html()


def _seconds(stamp):
    try:
        return time.mktime(time.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S"))
    except (TypeError, ValueError):
        return None
