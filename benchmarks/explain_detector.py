"""Precision and recall of the explain prompts' concept detector on the labelled answers in tests/modes/data.

    python benchmarks/explain_detector.py

Each labelled answer says which of its prompt's concepts a careful reader finds in it; the detector is scored
on every (answer, concept) pair. The sets, told apart because they mean different things:

- tuning (explain_answers.yaml): written together with the phrases, so it overstates what learners will see;
- held-out, held-out 2, held-out 3: each written after the phrases of its day (held-out 3 blind, from the
  prompts and concept names only), measured ONCE before any change (held-out 2: precision 0.98, recall 0.89;
  held-out 3: 0.93, 0.76), then used for a round of phrase and rule changes. All four are tuning sets now:
  their figures say the detector fits them, not how it will do on new learners;
- fresh (explain_fresh.yaml, added by the lead): written after the last change to the phrases and rules, by
  someone who never saw them, and measured once (2026-12-01: precision 0.93, recall 0.95); never used to change
  a phrase or a rule since (issue 23's clause rules left it at 0.94, 0.95): the honest figure;
- fresh 2 (explain_fresh2.yaml, issue 23): six answers per prompt, among them stuffed ("Keep it small. It is
  the step size. It diverges. It forgets."), wrong with the right words, negated, off-topic and paraphrased
  without the keywords; measured before the clause rules (precision 0.72, recall 0.74), then used to change
  them (0.94, 0.96): a tuning set now.

Goal: precision and recall of at least 0.9.
"""

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from widgets.modes.content import LESSON_IDS, load_lesson_content  # noqa: E402
from widgets.modes.content.concepts import detect  # noqa: E402

SETS = {"tuning": "explain_answers.yaml", "held-out": "explain_holdout.yaml", "held-out 2": "explain_holdout2.yaml",
        "held-out 3": "explain_holdout3.yaml", "fresh": "explain_fresh.yaml",
        "fresh 2": "explain_fresh2.yaml"}


def counts(rows, concepts):
    tp = fp = fn = 0
    for row in rows:
        found = {m.concept + 1 for m in detect(row["text"], concepts)}
        wanted = set(row["covers"])
        tp, fp, fn = tp + len(found & wanted), fp + len(found - wanted), fn + len(wanted - found)
    return tp, fp, fn


def ratio(a, b):
    return f"{a / b:.2f}" if b else "  - "


def main():
    prompts = {item["id"]: item for lesson in LESSON_IDS for item in load_lesson_content(lesson)["explain"]}
    totals = {}
    print(f"{'prompt':<16}" + "".join(f"{name:>22}" for name in SETS))
    print(f"{'':<16}" + "".join(f"{'precision  recall':>22}" for _ in SETS))
    data = REPO / "tests" / "modes" / "data"
    per_set = {name: yaml.safe_load((data / file).read_text()) for name, file in SETS.items()}
    for prompt_id, prompt in prompts.items():
        line = f"{prompt_id:<16}"
        for name, answers in per_set.items():
            tp, fp, fn = counts(answers.get(prompt_id, []), prompt["concepts"])
            t = totals.setdefault(name, [0, 0, 0, 0])
            t[0], t[1], t[2], t[3] = t[0] + tp, t[1] + fp, t[2] + fn, t[3] + len(answers.get(prompt_id, []))
            line += f"{ratio(tp, tp + fp):>15}{ratio(tp, tp + fn):>7}"
        print(line)
    print("-" * (16 + 22 * len(SETS)))
    line = f"{'all':<16}"
    for name in SETS:
        tp, fp, fn, _ = totals[name]
        line += f"{ratio(tp, tp + fp):>15}{ratio(tp, tp + fn):>7}"
    print(line)
    for name in SETS:
        tp, fp, fn, n = totals[name]
        print(f"{name}: {n} answers, {tp + fn} concepts present, {tp} found, {fp} false, {fn} missed")


if __name__ == "__main__":
    main()
