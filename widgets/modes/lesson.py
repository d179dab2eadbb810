"""``learning_modes(lesson_id)``: every learning mode of one lesson in a single tabbed widget."""

import html
import time

import ipywidgets as ipw

from .cards import RecallCards
from .challenge import Challenge
from .cheatsheet import CheatSheet
from .content import ContentError, diagnostic_forms, load_lesson_content
from .dashboard import Progress, all_badges_earned
from .diagnostic import Diagnostic
from .explain import Explain
from .markup import note
from .practice import Practice
from .progress.store import default_store
from .quiz import Quiz
from .review import ReviewPanel

TAB_TITLES = ("Diagnostic", "Recall cards", "Quiz", "Challenge", "Practice", "Explain", "Cheat sheet", "Review",
              "Progress")


def learning_modes(lesson_id, store=None, clock=time.monotonic, rng=None, tick="auto"):
    """One ``ipw.Tab`` with the lesson's diagnostic, recall cards, quiz, challenge, practice, explain prompts,
    cheat sheet, today's spaced review of the whole course, and progress (with what is due for review). A missing
    or broken content file gives a tab with a clear message, not a traceback; so does a progress file that had
    to be backed up (the Progress tab opens and says so)."""
    try:
        content = load_lesson_content(lesson_id)
    except ContentError as err:
        tab = ipw.Tab([ipw.HTML(note(html.escape(str(err)).replace("\n", "<br>"), "bad"))])
        tab.set_title(0, "Learning modes")
        return tab
    store = store if store is not None else default_store()
    title = content.get("title", lesson_id)
    children = [
        Diagnostic(diagnostic_forms(content), content["sections"], lesson_id, store),
        RecallCards(content["cards"], lesson_id, store, rng=rng),
        Quiz(content["quiz"], lesson_id, store),
        Challenge(content["challenges"], lesson_id, store, clock=clock, tick=tick, badge=content["badge"],
                  course_badge=lambda: all_badges_earned(store)),
        Practice(content["practice"], lesson_id, store),
        Explain(content["explain"], lesson_id, store),
        CheatSheet(content["cheatsheet"], lesson_id, title=f"Cheat sheet: {title}"),
        ReviewPanel(store, lesson_id),  # today's spaced review, across the course: reachable from every lesson
        Progress(lesson_id, content, store),
    ]
    tab = ipw.Tab(children, titles=TAB_TITLES)
    if store.message:  # e.g. a corrupt progress file was backed up: open on the tab that explains it
        tab.selected_index = TAB_TITLES.index("Progress")
    tab.lesson_id = lesson_id
    tab.content = content
    return tab
