"""Generated damaged progress files (a section of the wrong type, an item holding NaN, infinity or a number too long
to parse, a byte-order mark, trailing text, unicode everywhere, a file cut off anywhere): the store never raises,
never loses a well-formed lesson, and its message names each lesson and section it set aside."""

import contextlib
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from widgets.modes.progress import record
from widgets.modes.progress.store import ProgressStore

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
HUGE = "1" * 5000  # an integer past Python's 4,300-digit parse limit

ids = st.text(min_size=1, max_size=10)
choice = st.fixed_dictionaries({"chosen": st.integers(0, 3), "correct": st.booleans()})
problem = st.fixed_dictionaries({
    "status": st.sampled_from(["solved", "failed", "running"]), "reason": st.sampled_from(["", "timed out"]),
    "seconds": st.floats(0, 120), "hint": st.booleans(), "chosen": st.lists(st.integers(0, 3), max_size=2)})
SECTIONS = {
    "cards": st.dictionaries(ids, st.sampled_from(["known", "review"]), max_size=3),
    "quiz": st.dictionaries(ids, choice, max_size=3),
    "diagnostic": st.dictionaries(ids, choice, max_size=3),
    "practice": st.dictionaries(ids, choice, max_size=2),
    "challenges": st.dictionaries(ids, problem, max_size=2),
    "explain": st.dictionaries(ids, st.fixed_dictionaries({"text": st.text(max_size=30)}), max_size=2),
}
lesson = st.fixed_dictionaries({}, optional=SECTIONS)
wrong_type = st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=5), st.none(),
                       st.booleans(), st.floats(allow_nan=True))
bad_number = st.sampled_from(["NaN", "Infinity", "-Infinity", HUGE, "1e999"])


def _text(lessons, raw_items=()):
    """The file as the store writes it, with ``raw_items`` ((lesson, section, item id, JSON text)) spliced in
    as text (so numbers json cannot write, such as 5,000 digits, can be)."""
    data = {"version": 2, "lessons": json.loads(json.dumps(lessons))}
    for k, (lesson_id, section, item_id, _) in enumerate(raw_items):
        data["lessons"][lesson_id].setdefault(section, {})[item_id] = f"@raw{k}@"
    text = json.dumps(data, sort_keys=True, indent=1)
    for k, (_, _, _, raw) in enumerate(raw_items):
        text = text.replace(f'"@raw{k}@"', raw)
    return text


@contextlib.contextmanager
def _opened(text_or_bytes):
    """A store on a progress file holding these bytes, in a folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ftlab-prop-") as folder:
        path = Path(folder) / "progress.json"
        path.write_bytes(text_or_bytes if isinstance(text_or_bytes, bytes) else text_or_bytes.encode("utf-8"))
        yield ProgressStore(path)


def _kept(store, lesson_id, original, sections=record.LESSON_SECTIONS):
    saved = store.lesson(lesson_id)
    return all(saved[s] == original.get(s, {}) for s in sections)


@SETTINGS
@given(lessons=st.dictionaries(ids, lesson, min_size=1, max_size=4), data=st.data())
def test_a_section_of_the_wrong_type_sets_aside_that_section_only(lessons, data):
    names = sorted(lessons)
    damaged = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    broken = json.loads(json.dumps(lessons))
    where = {}
    for lesson_id in damaged:
        section = data.draw(st.sampled_from(list(SECTIONS) + ["log", "badge", "challenge_set"]))
        value = data.draw(wrong_type)
        if value is None and section in ("badge", "challenge_set") or value == [] and section == "log" or \
                isinstance(value, str) and section == "badge":
            continue  # no badge, no set yet, an empty log and a version-1 badge's date are all well-formed
        broken[lesson_id][section] = value
        where[lesson_id] = section
    prefix = data.draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    with _opened(prefix + _text(broken).encode("utf-8")) as store:
        for lesson_id in names:
            untouched = [s for s in SECTIONS if s != where.get(lesson_id)]
            assert _kept(store, lesson_id, lessons[lesson_id], untouched), lesson_id
        for lesson_id, section in where.items():
            assert repr(lesson_id) in store.message and section.replace("_", " ") in store.message
        assert bool(where) == bool(list(store.path.parent.glob("progress.set-aside-*.json")))
        store.record(names[0], "cards", "after", "known")  # and it goes on working
        assert ProgressStore(store.path).lesson(names[0])["cards"]["after"] == "known"


@SETTINGS
@given(lessons=st.dictionaries(ids, lesson, min_size=1, max_size=4), data=st.data())
def test_an_item_holding_nan_infinity_or_a_huge_number_is_set_aside_alone(lessons, data):
    lesson_id = data.draw(st.sampled_from(sorted(lessons)))
    section = data.draw(st.sampled_from(["quiz", "challenges", "explain"]))
    number = data.draw(bad_number)
    raw = ('{"chosen": %s, "correct": true}' % number, f'{{"status": "solved", "seconds": {number}}}',
           f'{{"text": "x", "score": [{number}]}}')[["quiz", "challenges", "explain"].index(section)]
    item_id = data.draw(ids.filter(lambda i: i not in lessons[lesson_id].get(section, {})))
    with _opened(_text(lessons, [(lesson_id, section, item_id, raw)])) as store:
        for other in lessons:
            assert _kept(store, other, lessons[other]), other
        assert repr(lesson_id) in store.message and f"{section} item {item_id!r}" in store.message


@SETTINGS
@given(lessons=st.dictionaries(ids, lesson, min_size=1, max_size=5), cut=st.floats(0, 1),
       trailing=st.sampled_from(["", "\n{}", " garbage", "\x00"]))
def test_a_file_cut_off_anywhere_keeps_every_lesson_complete_before_the_cut(lessons, cut, trailing):
    members, ends, text = [], {}, '{"lessons": {'
    for lesson_id in sorted(lessons):
        member = json.dumps(lesson_id) + ": " + json.dumps(lessons[lesson_id], sort_keys=True)
        text += (", " if members else "") + member
        members.append(lesson_id)
        ends[lesson_id] = len(text)
    text += '}, "version": 2}'
    at = int(cut * len(text))
    with _opened(text[:at] + trailing) as store:
        for lesson_id, end in ends.items():
            if end <= at:
                assert _kept(store, lesson_id, lessons[lesson_id]), (lesson_id, at)
        if at < len(text):
            assert store.message  # what happened is said


@SETTINGS
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_at_all_never_raise_out_of_the_store(raw):
    with _opened(raw) as store:
        store.lessons()
        store.record("01_why_fine_tune", "cards", "c", "known")
        assert ProgressStore(store.path).lesson("01_why_fine_tune")["cards"] == {"c": "known"}
