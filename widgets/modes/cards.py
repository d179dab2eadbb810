"""Recall cards: a deck you go through, revealing answers; cards you miss come back until you know them."""

import random
from collections import deque

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import ModeView, button
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
    """The deck as a widget: question, "Show answer", then "Got it" / "Review again"; shuffle and restart.
    A card sent back for review also comes back in the spaced review of the start page."""

    section = "cards"

    def __init__(self, cards, lesson_id=None, store=None, rng=None):
        super().__init__(lesson_id, store)
        saved = self.saved()
        self.deck = Deck(cards, rng=rng, known=[cid for cid, state in saved.items() if state == "known"])
        self.deck.misses = {cid: 1 for cid, state in saved.items() if state == "review" and cid in self.deck.cards}
        self.card = ipw.HTML(layout=ipw.Layout(min_height="90px", border="1px solid #dadce0", padding="8px"))
        self.answer = LiveHTML()
        self.reveal_button = button("Show answer", primary=True)
        self.got_button = button("Got it")
        self.again_button = button("Review again")
        self.shuffle_button = button("Shuffle")
        self.restart_button = button("Start over")
        self.reveal_button.on_click(lambda _: self._reveal())
        self.got_button.on_click(lambda _: self._answer(True))
        self.again_button.on_click(lambda _: self._answer(False))
        self.shuffle_button.on_click(lambda _: self._shuffle())
        self.restart_button.on_click(lambda _: self._restart())
        buttons = ipw.HBox([self.reveal_button, self.got_button, self.again_button, self.shuffle_button,
                            self.restart_button], layout=ipw.Layout(flex_flow="row wrap"))
        self.children = [self.status, self.card, self.answer, buttons]
        self._render()

    def _reveal(self):
        self.deck.reveal()
        self._render()
        self.got_button.focus()

    def _answer(self, known):
        if self.deck.finished or not self.deck.revealed:
            return
        card = self.deck.got_it() if known else self.deck.review_again()
        grade = "known" if known else "review"
        self.answered(card["id"], grade, grade, known)
        if not known:
            self.missed(card["id"])
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
        self.got_button.disabled = self.again_button.disabled = card is None or not self.deck.revealed
        self.shuffle_button.disabled = left < 2
