"""Recall cards: a deck you go through, revealing answers and grading yourself Again, Hard, Good or Easy. A card
graded Again comes back in this deck until you know it; every grade also schedules the card's spaced review."""

import random
from collections import deque

import ipywidgets as ipw
from fsrs import Rating

from ..accessible import LiveHTML
from .base import ModeView, button, grade_buttons
from .content import level
from .markup import level_tag, md, note


class Deck:
    """The queue of cards still to learn. ``got_it`` removes the current card; ``review_again`` re-queues it.

    ``rng`` (a ``random.Random``) fixes the shuffle order in tests.
    """

    def __init__(self, cards, rng=None, known=()):
        self.cards = {card["id"]: card for card in cards}
        self.order = [card["id"] for card in cards]
        self.rng = rng if rng is not None else random.Random()
        self.known = set(known) & set(self.cards)
        self.misses = {}  # card id -> times sent back for review
        self.queue = deque(cid for cid in self.order if cid not in self.known)
        self.revealed = False

    @property
    def current(self):
        return self.cards[self.queue[0]] if self.queue else None

    @property
    def finished(self):
        return not self.queue

    def reveal(self):
        if self.current is not None:
            self.revealed = True
        return self.current["answer"] if self.current else None

    def got_it(self):
        card = self._answer()
        self.known.add(card["id"])
        return card

    def review_again(self):
        card = self._answer()
        self.misses[card["id"]] = self.misses.get(card["id"], 0) + 1
        self.queue.append(card["id"])
        return card

    def _answer(self):
        if not self.queue:
            raise RuntimeError("the deck is finished: restart it to go again")
        self.revealed = False
        return self.cards[self.queue.popleft()]

    def shuffle(self):
        items = list(self.queue)
        self.rng.shuffle(items)
        self.queue = deque(items)
        self.revealed = False

    def restart(self, only_missed=False):
        """All cards again (or only those you sent back at least once), in the original order."""
        ids = [cid for cid in self.order if not only_missed or self.misses.get(cid)]
        self.known -= set(ids)
        self.queue = deque(ids)
        self.revealed = False

    def progress(self):
        return len(self.known), len(self.cards)


class RecallCards(ModeView):
    """The deck as a widget: question, "Show answer", then a grade (Again / Hard / Good / Easy); shuffle and
    restart. Again sends the card to the back of the deck; any grade schedules its spaced review, Again soonest
    and Easy latest."""

    section = "cards"

    def __init__(self, cards, lesson_id=None, store=None, rng=None):
        super().__init__(lesson_id, store)
        saved = self.saved()
        self.deck = Deck(cards, rng=rng, known=[cid for cid, state in saved.items() if state == "known"])
        self.deck.misses = {cid: 1 for cid, state in saved.items() if state == "review" and cid in self.deck.cards}
        self.card = ipw.HTML(layout=ipw.Layout(min_height="90px", border="1px solid #dadce0", padding="8px"))
        self.answer = LiveHTML()
        self.reveal_button = button("Show answer", primary=True)
        self.grade_buttons = grade_buttons()
        self.again_button, self.hard_button, self.good_button, self.easy_button = self.grade_buttons.values()
        self.got_button = self.good_button  # the name the deck's "known" button had before there were four grades
        self.shuffle_button = button("Shuffle")
        self.restart_button = button("Start over")
        self.reveal_button.on_click(lambda _: self._reveal())
        for rating, grade in self.grade_buttons.items():
            grade.on_click(lambda _, rating=rating: self.grade(rating))
        self.shuffle_button.on_click(lambda _: self._shuffle())
        self.restart_button.on_click(lambda _: self._restart())
        buttons = ipw.HBox([self.reveal_button, *self.grade_buttons.values(), self.shuffle_button,
                            self.restart_button], layout=ipw.Layout(flex_flow="row wrap"))
        self.children = [self.status, self.card, self.answer, buttons]
        self._render()

    def _reveal(self):
        self.deck.reveal()
        self._render()
        self.good_button.focus()

    def grade(self, rating):
        """Grade the revealed card (a :class:`fsrs.Rating`): Again re-queues it, Hard to Easy mark it known."""
        if self.deck.finished or not self.deck.revealed:
            return
        known = rating != Rating.Again
        card = self.deck.got_it() if known else self.deck.review_again()
        self.record_answer(card["id"], "known" if known else "review", rating.name, known)  # the grade, logged
        self.graded(card["id"], rating)
        self._render()
        (self.reveal_button if not self.reveal_button.disabled else self.restart_button).focus()

    def _shuffle(self):
        self.deck.shuffle()
        self._render()

    def _restart(self):
        self.deck.restart()
        self._render()

    def _render(self):
        known, total = self.deck.progress()
        left = len(self.deck.queue)
        self.status.value = f"<b>{known} / {total}</b> cards known &middot; {left} to go"
        card = self.deck.current
        if card is None:
            self.card.value = note("Deck done: you know every card. <b>Start over</b> to go again.", "good")
            self.answer.value = ""
        else:
            self.card.value = f"{level_tag(level(card))}<div style='margin-top:6px'>{md(card['question'])}</div>"
            self.answer.value = note(md(card["answer"])) if self.deck.revealed else ""
        self.reveal_button.disabled = card is None or self.deck.revealed
        for grade in self.grade_buttons.values():
            grade.disabled = card is None or not self.deck.revealed
        self.shuffle_button.disabled = left < 2
