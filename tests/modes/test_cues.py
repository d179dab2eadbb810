"""No cue gives the answer away: a learner who knows nothing and picks options by their look must score no better
than chance + 10 points on any quiz, challenge set, practice set or diagnostic form.

The strategies a test-wise learner uses, as this test defines them (ties share the credit, as a learner picking
at random among the tied options would):

- **longest**: the option with the most characters;
- **most words**: the option with the most words;
- **most specific**: the option with the most numbers and qualifiers (a word that holds a digit, or one of
  QUALIFIERS: "only", "every", "each", "same", "more", "than", ...), ties broken by the most words;
- **shortest**: the option with the fewest characters (the cue a writer leaves by making every wrong option
  longer than the right one).

Over a whole lesson, no length rank may hold the right option in more than 35% of its multiple-choice items (the
longest, the second longest, ..., the shortest), so that "pick the middle one" is no cue either. Items answered
with a number (``numeric``) give these strategies nothing to pick, and are left out. Run with ``-s`` to see the
per-lesson table.
"""

import re

import pytest

from widgets.modes.content import LESSON_IDS, diagnostic_forms, load_lesson_content
from widgets.modes.content.schema import DEFAULT_ATTEMPTS

QUALIFIERS = frozenset(
    "only all every each never always both same more less than most least about exactly per because so when "
    "unless without until before after first last".split())
MARGIN = 0.10  # over chance
LONGEST_SHARE = 0.35  # of a lesson's items, at most


def words(text):
    return re.findall(r"[A-Za-z0-9][\w.,%'/-]*", str(text))


def specificity(text):
    found = words(text)
    return sum(bool(re.search(r"\d", w)) for w in found) + sum(w.lower() in QUALIFIERS for w in found), len(found)


STRATEGIES = {
    "longest": lambda text: len(str(text).strip()),
    "most words": lambda text: len(words(text)),
    "most specific": specificity,
    "shortest": lambda text: -len(str(text).strip()),
}


def credit(item, key):
    """What a learner who picks by ``key`` scores on ``item``: 1, 0, or 1/k when the right option ties with k-1."""
    scores = [key(option["text"]) for option in item["options"]]
    best = [k for k, score in enumerate(scores) if score == max(scores)]
    right = next(k for k, option in enumerate(item["options"]) if option["correct"])
    return 1 / len(best) if right in best else 0.0


def rank_credit(item, k):
    """What "pick the k-th longest option" (k = 1 .. 4, ties broken at random) scores on ``item``."""
    lengths = [len(str(option["text"]).strip()) for option in item["options"]]
    right = lengths[next(j for j, option in enumerate(item["options"]) if option["correct"])]
    longer, tied = sum(n > right for n in lengths), sum(n == right for n in lengths)
    return 1 / tied if longer < k <= longer + tied else 0.0


def sets_of(content):
    """Each set a learner takes in one go, with its multiple-choice items only."""
    sets = {name: content[name] for name in ("quiz", "challenges", "practice")}
    sets.update({f"diagnostic {form}": items for form, items in diagnostic_forms(content).items()})
    return {name: [i for i in items if "options" in i] for name, items in sets.items()}


def strategy_score(items, key):
    return sum(credit(item, key) for item in items) / len(items)


def chance(items):
    return sum(1 / len(item["options"]) for item in items) / len(items)


def lesson_row(lesson_id):
    """(share of items whose right option has each length rank, {(set, strategy): score}, {set: chance})."""
    sets = sets_of(load_lesson_content(lesson_id))
    every = [item for items in sets.values() for item in items]
    ranks = [sum(rank_credit(item, k) for item in every) / len(every) for k in (1, 2, 3, 4)]
    scores = {(name, strategy): strategy_score(items, key)
              for name, items in sets.items() if items for strategy, key in STRATEGIES.items()}
    return ranks, scores, {name: chance(items) for name, items in sets.items() if items}


SETS = ("quiz", "challenges", "practice", "diagnostic A", "diagnostic B")


def test_the_cue_table(capsys):
    """Print the table, then hold every lesson to the limits."""
    rows, failures = [], []
    header = f"{'lesson':24} {'right=longest':>13} {'ranks 1/2/3/4':>15}  " + "  ".join(f"{n:>12}" for n in SETS)
    for lesson_id in LESSON_IDS:
        ranks, scores, chances = lesson_row(lesson_id)
        cells = "  ".join(f"{scores.get((name, 'longest'), 0):>12.0%}" for name in SETS)
        shares = "/".join(f"{r:.0%}" for r in ranks)
        rows.append(f"{lesson_id:24} {ranks[0]:>13.0%} {shares:>15}  {cells}")
        failures += [f"{lesson_id}: the right option is the length rank {k} option in {r:.0%} of items"
                     for k, r in enumerate(ranks, start=1) if r > LONGEST_SHARE + 1e-9]
        failures += [f"{lesson_id} {name}: '{strategy}' scores {score:.0%} (chance {chances[name]:.0%})"
                     for (name, strategy), score in scores.items() if score > chances[name] + MARGIN + 1e-9]
    with capsys.disabled():
        print("\nRight option's length rank over each lesson, and the longest-option strategy's score per set:")
        print(header + "\n" + "\n".join(rows))
    assert failures == []


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_choice_item_has_four_options(lesson_id):
    content = load_lesson_content(lesson_id)
    counts = {item["id"]: len(item["options"]) for items in sets_of(content).values() for item in items}
    assert set(counts.values()) == {4}, {k: n for k, n in counts.items() if n != 4}


def test_the_strategies_catch_a_cue():
    """Control: a set where the right option is always the longest and most specific scores 100%."""
    items = [{"options": [{"text": "Every weight, 3 times on each of 10 seeds", "correct": True},
                          {"text": "A head", "correct": False}, {"text": "No", "correct": False},
                          {"text": "Rate", "correct": False}]}] * 4
    for name in ("longest", "most words", "most specific"):
        assert strategy_score(items, STRATEGIES[name]) == 1.0 > chance(items) + MARGIN
    assert strategy_score(items, STRATEGIES["shortest"]) == 0.0
    assert sum(rank_credit(item, 1) for item in items) / len(items) == 1.0 > LONGEST_SHARE
    terse = [{"options": [{"text": "No", "correct": True}, {"text": "A longer wrong one", "correct": False},
                          {"text": "Another wrong option", "correct": False}, {"text": "Wrong", "correct": False}]}]
    assert strategy_score(terse, STRATEGIES["shortest"]) == 1.0 and rank_credit(terse[0], 4) == 1.0
    tied = {"options": [{"text": "ab", "correct": True}, {"text": "cd", "correct": False},
                        {"text": "e", "correct": False}, {"text": "f", "correct": False}]}
    assert credit(tied, STRATEGIES["longest"]) == 0.5
    assert [rank_credit(tied, k) for k in (1, 2, 3, 4)] == [0.5, 0.5, 0.0, 0.0]


def solved_within(item, key, tries):
    """The chance that a learner who tries options in the order of ``key`` (best first, ties at random) finds the
    right one within ``tries`` tries."""
    scores = [key(option["text"]) for option in item["options"]]
    right = scores[next(k for k, option in enumerate(item["options"]) if option["correct"])]
    better, tied = sum(s > right for s in scores), sum(s == right for s in scores)
    return min(max(tries - better, 0), tied) / tied


def badge_chance(items, key):
    """The chance of solving every problem of a challenge set, each within its attempts, by the look of the options."""
    chance = 1.0
    for item in items:
        chance *= solved_within(item, key, item.get("attempts", DEFAULT_ATTEMPTS))
    return chance


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_no_look_of_the_options_earns_a_badge(lesson_id):
    """With two attempts per problem, guessing earns a badge 1 time in 32; no strategy may do better than 1 in 10."""
    items = load_lesson_content(lesson_id)["challenges"]
    chances = {name: badge_chance(items, key) for name, key in STRATEGIES.items()}
    assert max(chances.values()) <= 0.1, chances
