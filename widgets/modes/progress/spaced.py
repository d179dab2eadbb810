"""Spaced review across lessons, with Leitner boxes: what you missed comes back after 1, 2, 4, 8, then 16 days.

A missed quiz question, a failed challenge problem or a card marked "review again" goes to box 1, due the
next day. Answered right in a review, it moves up one box and comes back after that box's interval; wrong,
it goes back to box 1. Right in the last box, it is learned and leaves the schedule. The schedule lives in
the progress file (each lesson's ``review`` section); the day comes from the store's clock, so tests move
days in a second.
"""

import datetime
from dataclasses import dataclass

INTERVALS = (1, 2, 4, 8, 16)  # days until the next review, per box
KINDS = ("quiz", "challenges", "cards")


@dataclass(frozen=True)
class DueItem:
    lesson_id: str
    kind: str  # quiz, challenges or cards
    item_id: str
    box: int
    due: datetime.date

    @property
    def key(self):
        return f"{self.kind}:{self.item_id}"


class Leitner:
    """The review schedule kept in a :class:`~widgets.modes.progress.store.ProgressStore`."""

    def __init__(self, store):
        self.store = store

    def today(self):
        return datetime.date.fromtimestamp(self.store.clock())

    def missed(self, lesson_id, kind, item_id):
        """The learner got this wrong: box 1, back tomorrow."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self._put(lesson_id, kind, item_id, 1)

    def answered(self, item, right):
        """A review answer: up one box when right (learned after the last box), back to box 1 when wrong."""
        if not right:
            self._put(item.lesson_id, item.kind, item.item_id, 1)
        elif item.box >= len(INTERVALS):
            self.store.forget(item.lesson_id, "review", item.key)
        else:
            self._put(item.lesson_id, item.kind, item.item_id, item.box + 1)

    def _put(self, lesson_id, kind, item_id, box):
        due = self.today() + datetime.timedelta(days=INTERVALS[box - 1])
        self.store.record(lesson_id, "review", f"{kind}:{item_id}",
                          {"kind": kind, "id": str(item_id), "box": box, "due": due.isoformat()})

    def scheduled(self):
        """Every item on the schedule, due or not, soonest first."""
        items = []
        for lesson_id in self.store.lessons():
            for key, entry in self.store.lesson(lesson_id).get("review", {}).items():
                item = _due_item(lesson_id, key, entry)
                if item is not None:
                    items.append(item)
        return sorted(items, key=lambda i: (i.due, i.lesson_id, i.key))

    def due(self, day=None):
        """The items due on ``day`` (today by default) or earlier."""
        day = day or self.today()
        return [item for item in self.scheduled() if item.due <= day]

    def next_date(self):
        """When the next review falls due after today (None when nothing is scheduled)."""
        later = [item.due for item in self.scheduled() if item.due > self.today()]
        return min(later) if later else None


def _due_item(lesson_id, key, entry):
    """A schedule entry from the file, or None when it is not one of ours (a hand edit, an older version)."""
    try:
        kind, box = entry["kind"], int(entry["box"])
        due = datetime.date.fromisoformat(entry["due"])
        item_id = str(entry["id"])
    except (KeyError, TypeError, ValueError):
        return None
    if kind not in KINDS or not 1 <= box <= len(INTERVALS):
        return None
    return DueItem(lesson_id, kind, item_id, box, due)
