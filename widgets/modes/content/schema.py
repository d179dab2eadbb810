"""What a lesson's content file holds, and every check on it: :func:`validate_content` lists each problem.

Top-level keys: ``title``, ``badge`` (the name of the lesson's challenge badge), ``sections`` (the titles of
the lesson's numbered ``##`` sections, in order; a title that starts with "Deep dive" is a section after the
learning modes), ``cards``, ``quiz``, ``challenges``, ``practice``, ``diagnostic``, ``explain`` and
``cheatsheet``. Text may use Markdown (`code`, **bold**, ```code blocks```). The items (every ``id`` unique in
its lesson; ``difficulty`` one of beginner/intermediate (easy, medium) and advanced/expert (hard), by the rubric
in docs/content_guide.md; ``section``: the number of the core section that teaches it, never a deep dive)::

    cards:      id, difficulty, question, answer (at most 45 words)
    quiz:       id, difficulty, question, options, section
    challenges: id, category (one of CATEGORIES), difficulty, question, options, hint, section,
                code (required for "Predict Output": its printed output is the right option's text),
                time_limit (seconds, default 120), attempts (default 2)
    practice:   id, difficulty, problem, options or numeric, steps (list), answer, quick_check (one line), hint,
                mistakes (list), code (optional), category (optional; "Predict Output" needs code), section
    diagnostic: {A: [items], B: [items]}: two parallel forms of DIAGNOSTIC_ITEMS questions of its own (id,
                difficulty, section, question, options or numeric), the k-th of A and of B on the same section
                at the same level; each form easy, medium and hard
    explain:    id, prompt, hint, model_answer, concepts: [{concept, phrases: [...]}] (4 or 5 concepts)
    cheatsheet: points (list of text, or of {text, claims}), code: [{title, code}]

Every item (and every cheat-sheet point given as a mapping) may carry ``claims``: the ids of the claims in
``course/claims.yaml`` that its empirical statements rest on (``[]`` when it states none).

``options`` is a list of exactly four ``{text, correct: true/false, explanation}`` with one right option; every
option explains itself, since the learner sees the explanation of whatever they picked. ``numeric`` (an item
whose answer is a number, see :mod:`widgets.modes.content.numeric`) replaces the options in practice and the
diagnostic. An explain concept's ``phrases`` say the idea in a few words (see
:mod:`widgets.modes.content.concepts`); the model answer must show every concept.
"""

from .concepts import detect, phrase_problems
from .numeric import numeric_problems

DIFFICULTY_LEVELS = {"beginner": "easy", "intermediate": "medium", "advanced": "hard", "expert": "hard"}
CATEGORIES = ("Conceptual", "Predict Output", "Model Choice", "Hyperparameter", "Metrics")
SECTIONS = ("cards", "quiz", "challenges", "practice", "diagnostic", "explain", "cheatsheet")
OPTIONAL_KEYS = ("title",)
#: how many items each list holds: (least, most); None = no upper limit
COUNTS = {"cards": (5, None), "quiz": (5, None), "challenges": (5, 5), "practice": (5, None), "explain": (2, None)}
OPTIONS_PER_ITEM = 4
DIAGNOSTIC_ITEMS = 8  # per form
CARD_ANSWER_WORDS = 45
DEEP_DIVE = "Deep dive"
CONCEPTS_PER_PROMPT = (4, 5)
DEFAULT_TIME_LIMIT = 120
DEFAULT_ATTEMPTS = 2


def _options_problems(where, options):
    problems = []
    if not isinstance(options, list) or len(options) != OPTIONS_PER_ITEM:
        return [f"{where}: needs a list of exactly {OPTIONS_PER_ITEM} options"]
    right = [o for o in options if isinstance(o, dict) and o.get("correct") is True]
    if len(right) != 1:
        problems.append(f"{where}: needs exactly one option with correct: true (found {len(right)})")
    texts = []
    for k, option in enumerate(options):
        if not isinstance(option, dict):
            problems.append(f"{where}: option {k + 1} is not a mapping")
            continue
        if not str(option.get("text", "")).strip():
            problems.append(f"{where}: option {k + 1} has no text")
        elif "`" in str(option["text"]) or "\n" in str(option["text"]).strip():
            # options are radio-button labels, shown as plain text
            problems.append(f"{where}: option {k + 1} text must be one line of plain text (no backticks)")
        if not str(option.get("explanation", "")).strip():
            problems.append(f"{where}: option {k + 1} has no explanation")
        if "correct" in option and not isinstance(option["correct"], bool):
            problems.append(f"{where}: option {k + 1} correct must be true or false")
        texts.append(str(option.get("text", "")).strip())
    if len(set(texts)) != len(texts):
        problems.append(f"{where}: two options have the same text")
    return problems


def core_sections(data):
    """The numbers of the lesson's sections before its learning modes (every one but the deep dives)."""
    titles = data.get("sections") if isinstance(data.get("sections"), list) else []
    return [n for n, title in enumerate(titles, start=1) if not str(title).startswith(DEEP_DIVE)]


def _item_problems(section, item, k, required, core):
    where = f"{section}[{k}]"
    if not isinstance(item, dict):
        return [f"{where}: not a mapping"]
    where = f"{section} {item.get('id', k)!r}"
    problems = [f"{where}: missing {key}" for key in ("id",) + required if not str(item.get(key, "")).strip()]
    if section != "explain" and item.get("difficulty") not in DIFFICULTY_LEVELS:
        problems.append(f"{where}: difficulty {item.get('difficulty')!r} is not one of {', '.join(DIFFICULTY_LEVELS)}")
    if section in ("quiz", "challenges", "practice", "diagnostic") and item.get("section") not in core:
        problems.append(f"{where}: section must be the number of a core section ({', '.join(map(str, core))}), "
                        "one before the learning modes")
    if section in ("practice", "diagnostic") and "numeric" in item:
        problems += numeric_problems(where, item["numeric"], "options" in item, bool(str(item.get("code", "")).strip()))
    elif section in ("quiz", "challenges", "practice", "diagnostic"):
        problems += _options_problems(where, item.get("options"))
    if section == "cards" and len(str(item.get("answer", "")).split()) > CARD_ANSWER_WORDS:
        problems.append(f"{where}: the answer has {len(str(item['answer']).split())} words; "
                        f"a card answers in at most {CARD_ANSWER_WORDS}")
    problems += _claims_problems(where, item)
    return problems


def _claims_problems(where, item):
    claims = item.get("claims", [])
    if not isinstance(claims, list) or not all(isinstance(c, str) and c.strip() for c in claims):
        return [f"{where}: claims must be a list of claim ids"]
    return []


def point_text(point):
    """A cheat-sheet point's text, whether it is given as text or as ``{text, claims}``."""
    return point.get("text", "") if isinstance(point, dict) else point


def _challenge_problems(item, where):
    problems = []
    if item.get("category") not in CATEGORIES:
        problems.append(f"{where}: category {item.get('category')!r} is not one of {', '.join(CATEGORIES)}")
    if item.get("category") == "Predict Output" and not str(item.get("code", "")).strip():
        problems.append(f"{where}: a Predict Output item needs its code")
    for key, default in (("time_limit", DEFAULT_TIME_LIMIT), ("attempts", DEFAULT_ATTEMPTS)):
        value = item.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"{where}: {key} must be a positive whole number")
    return problems


def _practice_problems(item, where):
    problems = []
    for key in ("steps", "mistakes"):
        value = item.get(key)
        if not isinstance(value, list) or not value or not all(str(s).strip() for s in value):
            problems.append(f"{where}: {key} must be a non-empty list of text")
    if "\n" in str(item.get("quick_check", "")).strip():
        problems.append(f"{where}: quick_check must be one line")
    if "category" in item:
        if item["category"] not in CATEGORIES:
            problems.append(f"{where}: category {item['category']!r} is not one of {', '.join(CATEGORIES)}")
        elif item["category"] == "Predict Output" and not str(item.get("code", "")).strip():
            problems.append(f"{where}: a Predict Output item needs its code")
    return problems


def _explain_problems(item, where):
    concepts = item.get("concepts")
    least, most = CONCEPTS_PER_PROMPT
    if not isinstance(concepts, list) or not least <= len(concepts) <= most:
        return [f"{where}: needs {least} to {most} concepts"]
    problems = []
    for c in concepts:
        if not isinstance(c, dict) or not str(c.get("concept", "")).strip():
            problems.append(f"{where}: every concept needs a 'concept' text")
            continue
        phrases = c.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            problems.append(f"{where}: concept {c['concept']!r} needs a list of phrases")
            continue
        for phrase in phrases:
            problems += [f"{where}: {p}" for p in phrase_problems(phrase)]
    answer = str(item.get("model_answer", ""))
    if not problems and answer.strip():
        found = {m.concept for m in detect(answer, concepts)}
        missing = [c["concept"] for k, c in enumerate(concepts) if k not in found]
        if missing:
            problems.append(f"{where}: the model answer does not show: {'; '.join(missing)}")
    return problems


def validate_content(data):
    """Every schema problem in one lesson's content, as readable strings (empty list = valid)."""
    if not isinstance(data, dict):
        return ["the file must be a mapping with keys " + ", ".join(SECTIONS)]
    problems = [f"missing top-level key {key!r}" for key in SECTIONS + ("badge", "sections") if key not in data]
    known = SECTIONS + OPTIONAL_KEYS + ("badge", "sections")
    problems += [f"unknown top-level key {key!r}" for key in data if key not in known]
    titles = data.get("sections")
    if "sections" in data and (not isinstance(titles, list) or not all(str(t).strip() for t in titles)):
        problems.append("sections must be a list of section titles")
        titles = []
    core = core_sections(data)
    if "badge" in data and not str(data.get("badge") or "").strip():
        problems.append("badge must name the lesson's badge")
    for section, (least, most) in COUNTS.items():
        items = data.get(section) or []
        if not isinstance(items, list):
            problems.append(f"{section} must be a list")
            continue
        if len(items) < least or (most is not None and len(items) > most):
            wanted = f"exactly {least}" if least == most else f"at least {least}"
            problems.append(f"{section}: has {len(items)} item(s), needs {wanted}")
        ids = [item.get("id") for item in items if isinstance(item, dict)]
        duplicates = sorted({str(i) for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"{section}: duplicate ids {', '.join(duplicates)}")
        required = {"cards": ("question", "answer"), "quiz": ("question",), "challenges": ("question", "hint"),
                    "practice": ("problem", "answer", "quick_check", "hint"),
                    "explain": ("prompt", "hint", "model_answer")}[section]
        for k, item in enumerate(items):
            problems += _item_problems(section, item, k, required, core)
            if not isinstance(item, dict):
                continue
            where = f"{section} {item.get('id')!r}"
            if section == "challenges":
                problems += _challenge_problems(item, where)
            elif section == "practice":
                problems += _practice_problems(item, where)
            elif section == "explain":
                problems += _explain_problems(item, where)
    problems += _diagnostic_problems(data, core)
    problems += _set_problems(data)
    problems += _sheet_problems(data.get("cheatsheet"))
    return problems


def _set_problems(data):
    """A challenge set covers every category; practice and the diagnostic cover every level."""
    problems = []
    challenges = [c for c in data.get("challenges") or [] if isinstance(c, dict)]
    missing = [c for c in CATEGORIES if c not in {item.get("category") for item in challenges}]
    if challenges and missing:
        problems.append(f"challenges: the set must cover every kind; missing {', '.join(missing)}")
    practice = [p for p in data.get("practice") or [] if isinstance(p, dict)]
    levels = {DIFFICULTY_LEVELS.get(p.get("difficulty")) for p in practice}
    if practice and not {"easy", "medium", "hard"} <= levels:
        problems.append("practice: needs at least one easy, one medium and one hard problem")
    return problems


def _diagnostic_problems(data, core):
    """Two parallel forms of the lesson's own questions, each covering every level, none shared with the rest."""
    forms = data.get("diagnostic")
    if not isinstance(forms, dict) or set(forms) != {"A", "B"} or \
            not all(isinstance(f, list) and all(isinstance(i, dict) for i in f) for f in forms.values()):
        return ["diagnostic must be a mapping with two forms, A and B, each a list of items"]
    problems = []
    for name, form in forms.items():
        if len(form) != DIAGNOSTIC_ITEMS:
            problems.append(f"diagnostic form {name}: has {len(form)} item(s), needs exactly {DIAGNOSTIC_ITEMS}")
        if {DIFFICULTY_LEVELS.get(i.get("difficulty")) for i in form} != {"easy", "medium", "hard"}:
            problems.append(f"diagnostic form {name}: needs easy, medium and hard items")
        for k, item in enumerate(form):
            problems += _item_problems("diagnostic", item, k, ("question",), core)
    for a, b in zip(forms["A"], forms["B"]):
        if a.get("section") != b.get("section") or DIFFICULTY_LEVELS.get(a.get("difficulty")) != \
                DIFFICULTY_LEVELS.get(b.get("difficulty")):
            problems.append(f"diagnostic: {a.get('id')!r} (A) and {b.get('id')!r} (B) are not parallel "
                            "(same section, same level)")
    elsewhere = {i.get("id") for s in ("cards", "quiz", "challenges", "practice", "explain")
                 for i in data.get(s) or [] if isinstance(i, dict)}
    ids = [i.get("id") for form in forms.values() for i in form]
    reused = sorted({str(i) for i in ids if i in elsewhere or ids.count(i) > 1})
    if reused:
        problems.append(f"diagnostic: ids used twice or by another mode's item: {', '.join(reused)}")
    return problems


def _sheet_problems(sheet):
    if sheet is None:
        return []
    if not isinstance(sheet, dict):
        return ["cheatsheet must be a mapping with 'points' and 'code'"]
    problems = []
    if not isinstance(sheet.get("points"), list) or len(sheet.get("points") or []) < 3:
        problems.append("cheatsheet: needs at least 3 points")
    for k, point in enumerate(sheet.get("points") or []):
        if isinstance(point, dict):
            if not str(point.get("text", "")).strip():
                problems.append(f"cheatsheet: point {k + 1} has no text")
            problems += _claims_problems(f"cheatsheet point {k + 1}", point)
        elif not str(point).strip():
            problems.append(f"cheatsheet: point {k + 1} is empty")
    code = sheet.get("code")
    if not isinstance(code, list) or not code:
        problems.append("cheatsheet: needs a list of code snippets")
    else:
        for snippet in code:
            if not isinstance(snippet, dict) or not snippet.get("title") or not snippet.get("code"):
                problems.append("cheatsheet: every code snippet needs a title and code")
    return problems
