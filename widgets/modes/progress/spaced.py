"""Spaced review of everything learned, scheduled by FSRS (the ``fsrs`` package: the scheduler Anki uses).

Every answer puts its item on the schedule, or moves it along: a quiz question or a challenge problem answered
right is graded Good, answered wrong Again; a recall card gets the grade the learner gives it (Again, Hard, Good
or Easy). FSRS turns the grades into how well the item is remembered and the days until it is due again: a right
answer comes back later than a wrong one, and later each time it is right again. Nothing leaves the schedule for
good; the longest wait is :data:`MAX_DAYS`.

Days are learning days: the day turns at 4 am local time (as in Anki), so an item due "tomorrow" is due from
4 am, and a miss at 23:30 is not due again at 00:30. The schedule lives in the progress file (each lesson's
``review`` section), each item's FSRS card written with the package's own ``Card.to_dict``; entries of the
Leitner-box schedule that earlier versions wrote are read as FSRS cards and rewritten at their next review.
The clock is the store's, so tests move weeks in a second.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from fsrs import Card, Rating, Scheduler, State

DAY_STARTS = dt.timedelta(hours=4)  # a learning day runs from 4 am to 4 am, local time
KINDS = ("quiz", "challenges", "cards")
GRADES = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)
MAX_DAYS = 365  # the longest wait: a year, so an item is never gone for good within a course
# No learning steps (minutes apart): the course reviews once a day, so every interval is a whole number of days.
# No fuzz: fsrs draws it from the unseeded global random, and a schedule a learner and a test can reproduce
# is worth more than spreading a few dozen items across neighbouring days.
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), maximum_interval=MAX_DAYS, enable_fuzzing=False)

# Earlier versions kept a Leitner box per item: box b came back after LEITNER_DAYS[b - 1] days.
LEITNER_DAYS = (1, 2, 4, 8, 16)
LEITNER_DIFFICULTY = 5.0  # the middle of FSRS's 1..10 scale: a box says how long, not how hard


def choice_rating(right):
    """The grade of a multiple-choice answer: right is Good, wrong is Again. A fast right answer is not Easy:
    one in four is a lucky guess, and Easy's long first wait would hide that guess for a week or more."""
    return Rating.Good if right else Rating.Again


def learning_day(timestamp):
    """The learning day a moment (seconds since the epoch) belongs to: the local date, 4 hours earlier."""
    return (dt.datetime.fromtimestamp(timestamp) - DAY_STARTS).date()


@dataclass(frozen=True)
class DueItem:
    lesson_id: str
    kind: str  # quiz, challenges or cards
    item_id: str
    due: dt.date  # the learning day it is due from
    reviews: int  # answers graded so far
    card: Card = field(compare=False, repr=False)

    @property
    def key(self):
        return f"{self.kind}:{self.item_id}"

    @property
    def seed(self):
        """Names this item and this review (e.g. to shuffle its options the same way every time it is shown)."""
        return f"{self.lesson_id}/{self.key}/review-{self.reviews + 1}"


class ReviewSchedule:
    """The review schedule kept in a :class:`~widgets.modes.progress.store.ProgressStore`."""

    def __init__(self, store):
        self.store = store

    def now(self):
        return dt.datetime.fromtimestamp(self.store.clock(), dt.timezone.utc)

    def today(self):
        return learning_day(self.store.clock())

    # ---- grading -------------------------------------------------------------------------------------
    def grade(self, lesson_id, kind, item_id, rating):
        """One answer graded Again, Hard, Good or Easy (a :class:`fsrs.Rating` or 1..4): the item is scheduled
        for the first time or moved. Returns the item as now scheduled."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if rating not in GRADES:
            raise ValueError(f"rating must be one of 1 (Again), 2 (Hard), 3 (Good), 4 (Easy), not {rating!r}")
        item_id = str(item_id)
        before = self.item(lesson_id, kind, item_id)
        now = self.now()
        card = before.card if before else Card(card_id=_card_id(lesson_id, kind, item_id), due=now)
        card, _ = SCHEDULER.review_card(card, Rating(rating), now)
        due = self.today() + dt.timedelta(days=(card.due - now).days)
        reviews = (before.reviews if before else 0) + 1
        self.store.record(lesson_id, "review", f"{kind}:{item_id}", {
            "kind": kind, "id": item_id, "due": due.isoformat(), "reviews": reviews,
            "rating": Rating(rating).name, "card": card.to_dict()})
        return DueItem(lesson_id, kind, item_id, due, reviews, card)

    def answered(self, lesson_id, kind, item_id, right):
        """A multiple-choice answer: right is Good, wrong is Again (:func:`choice_rating`)."""
        return self.grade(lesson_id, kind, item_id, choice_rating(right))

    def missed(self, lesson_id, kind, item_id):
        return self.answered(lesson_id, kind, item_id, False)

    def review(self, item, rating):
        """A review of a :class:`DueItem`, graded ``rating``."""
        return self.grade(item.lesson_id, item.kind, item.item_id, rating)

    def preview(self, item):
        """{rating: days until due} for each grade the item could get now (the grade buttons show them)."""
        now = self.now()
        return {rating: (SCHEDULER.review_card(item.card, rating, now)[0].due - now).days for rating in GRADES}

    # ---- reading -------------------------------------------------------------------------------------
    def item(self, lesson_id, kind, item_id):
        """The item as scheduled now, or None when it is not on the schedule."""
        entry = self.store.lesson(lesson_id).get("review", {}).get(f"{kind}:{item_id}")
        return _due_item(lesson_id, entry) if entry is not None else None

    def scheduled(self):
        """Every item on the schedule, due or not, soonest first."""
        items = []
        for lesson_id in self.store.lessons():
            for entry in self.store.lesson(lesson_id).get("review", {}).values():
                item = _due_item(lesson_id, entry)
                if item is not None:
                    items.append(item)
        return sorted(items, key=lambda i: (i.due, i.lesson_id, i.key))

    def due(self, day=None):
        """The items due on learning day ``day`` (today by default) or earlier."""
        day = day or self.today()
        return [item for item in self.scheduled() if item.due <= day]

    def next_date(self):
        """The learning day the next review falls due after today (None when nothing is scheduled later)."""
        later = [item.due for item in self.scheduled() if item.due > self.today()]
        return min(later) if later else None


def _card_id(lesson_id, kind, item_id):
    """A card id that names the item (fsrs defaults to the creation time, which a fake clock would repeat)."""
    return int(hashlib.sha256(f"{lesson_id}/{kind}:{item_id}".encode()).hexdigest()[:12], 16)


def _due_item(lesson_id, entry):
    """A schedule entry from the file, or None when it is not one of ours (a hand edit, a damaged file)."""
    try:
        kind, item_id = entry["kind"], str(entry["id"])
        due = dt.date.fromisoformat(entry["due"])
        if "card" in entry:
            card, reviews = Card.from_dict(entry["card"]), int(entry["reviews"])
        else:
            card, reviews = _leitner_card(lesson_id, kind, item_id, int(entry["box"]), due), int(entry["box"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    unread = card.state != State.Learning and (card.stability is None or card.difficulty is None)
    if kind not in KINDS or card.due.tzinfo is None or unread:
        return None
    return DueItem(lesson_id, kind, item_id, due, reviews, card)


def _leitner_card(lesson_id, kind, item_id, box, due):
    """An FSRS card for an entry of the old Leitner schedule: in review, remembered about as long as its box's
    interval (FSRS's stability is the wait at 90 % recall), last seen that many days before it is due. Its
    box counts as its reviews so far: the miss that put it in box 1, then one right answer per box climbed."""
    if not 1 <= box <= len(LEITNER_DAYS):
        raise ValueError(f"no Leitner box {box}")
    days = LEITNER_DAYS[box - 1]
    due_at = dt.datetime.combine(due, dt.time()) + DAY_STARTS  # local time: the start of that learning day
    due_at = due_at.astimezone(dt.timezone.utc)
    return Card(card_id=_card_id(lesson_id, kind, item_id), state=State.Review, stability=float(days),
                difficulty=LEITNER_DIFFICULTY, due=due_at, last_review=due_at - dt.timedelta(days=days))
