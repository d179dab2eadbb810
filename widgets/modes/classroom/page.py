"""The class report as one self-contained HTML page: no script, no external file, every text escaped."""

import html

from .summary import LEVEL_BANDS, MIN_ANSWERS

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #202124; margin: 24px; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px 0; } h2 { font-size: 18px; margin: 28px 0 6px 0; }
h3 { font-size: 15px; margin: 16px 0 4px 0; } h4 { font-size: 14px; margin: 12px 0 4px 0; } p { margin: 4px 0; }
table { border-collapse: collapse; margin: 6px 0 12px 0; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #dadce0; vertical-align: top; }
th { background: #f1f3f4; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 90px; height: 10px; background: #e8eaed; border-radius: 5px; margin-right: 6px;
  vertical-align: middle; } .bar span { display: block; height: 10px; border-radius: 5px; background: #1a5fb4; }
.low .bar span { background: #b3261e; } .muted { color: #5f6368; } .card { border: 1px solid #dadce0;
  border-radius: 6px; padding: 8px 12px; margin: 8px 0; } .flag { color: #b00020; font-weight: 600; }
.warn { color: #8a5300; } ul.flags { margin: 4px 0; padding-left: 20px; } td.date { white-space: nowrap; }
.file { font-size: 12px; white-space: nowrap; }
"""


def _e(text):
    return html.escape(str(text))


def _short(text, n=110):
    text = " ".join(str(text).replace("`", "").replace("**", "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _pct(share):
    return "–" if share is None else f"{100 * share:.0f}%"


def _bar(share):
    if share is None:
        return "–"
    low = " class='low'" if share < 0.5 else ""
    return f"<span{low}><span class='bar'><span style='width:{100 * share:.0f}%'></span></span>{_pct(share)}</span>"


def _table(headers, rows):
    head = "".join(f"<th scope='col'>{h}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _wrong(item):
    top = item.top_wrong
    return (f"{_e(_short(top[0], 60))} <span class='muted'>({top[1]})</span>" if top
            else "<span class='muted'>none</span>")


def _when(learner):
    if learner.last_active is None:
        return "–"
    note = "<br><span class='muted file'>(file date)</span>" if learner.active_from == "file" else ""
    return f"{learner.last_active:%Y-%m-%d}{note}"


def _name(learner):
    if learner.file == f"{learner.name}.json":
        return _e(learner.name)
    return f"{_e(learner.name)}<br><span class='muted file'>{_e(learner.file)}</span>"


def _attention(summary):
    stuck = summary.stuck()
    if not stuck:
        return "<p class='muted'>Nobody is flagged.</p>"
    items = "".join(f"<li><b>{_e(learner.name)}</b> <span class='muted'>({_e(learner.file)})</span>: "
                    f"{_e('; '.join(learner.flags(summary.idle_after)))}</li>" for learner in stuck)
    return f"<ul class='flags'>{items}</ul>"


def _learners(summary):
    lessons = [s for s in summary.lessons if s.started]
    headers = (["learner", "last activity"]
               + [f"<abbr title='{_e(s.title)}'>{_e(s.lesson_id[:2])}</abbr> first tries" for s in lessons]
               + ["hints", "failed challenges", "flags"])
    rows = []
    for learner in summary.learners:
        cells = "".join(
            f"<td class='num'>{_pct(row.share)} <span class='muted'>{row.right}/{row.answered}</span></td>"
            if (row := learner.rows.get(s.lesson_id)) else "<td class='num muted'>–</td>" for s in lessons)
        flags = learner.flags(summary.idle_after)
        rows.append(f"<tr><td>{_name(learner)}</td><td class='date'>{_when(learner)}</td>{cells}"
                    f"<td class='num'>{sum(r.hints for r in learner.rows.values())}</td>"
                    f"<td class='num'>{sum(r.failed for r in learner.rows.values())}</td>"
                    f"<td>{''.join(f'<span class=flag>{_e(f)}</span><br>' for f in flags) or '–'}</td></tr>")
    return _table(headers, rows)


def _reteach(summary):
    items = summary.reteach()
    if not items:
        return f"<p class='muted'>No item has {MIN_ANSWERS} or more answers with mistakes yet.</p>"
    rows = [f"<tr><td>{_e(i.lesson_id[:2])}</td><td>{_e(i.section)}</td><td>{_e(_short(i.text))}</td>"
            f"<td class='num'>{i.answered}</td><td>{_bar(i.share_right)}</td><td>{_wrong(i)}</td></tr>" for i in items]
    return _table(["lesson", "where", "question", "first tries", "right", "most chosen wrong answer"], rows)


def _gain(lesson):
    gain = lesson.mean_gain
    if gain is None:
        return "<span class='muted'>not yet (needs two runs)</span>"
    first, last, n = gain
    return f"{_pct(first)} → {_pct(last)} ({100 * (last - first):+.0f} points, {n} learner(s))"


def _overview(summary):
    n = len(summary.learners)
    rows = [f"<tr><td>{_e(s.lesson_id[:2])} {_e(s.title)}</td><td class='num'>{s.started} / {n}</td>"
            f"<td>{_bar(sum(s.completion) / len(s.completion) if s.completion else None)}</td>"
            f"<td class='num'>{s.badges}</td><td>{_gain(s)}</td></tr>" for s in summary.lessons]
    return _table(["lesson", "started", "mean completion (of those who started)", "badges",
                   "diagnostic: first run → latest"], rows)


def _level(item):
    if not item.off_level:
        return _e(item.level)
    low, _ = LEVEL_BANDS[item.level]
    seen = "harder" if item.share_right < low else "easier"
    return f"{_e(item.level)} <span class='warn'>({seen} than designed)</span>"


def _discrimination(item):
    d = item.discrimination
    if d is None:
        return "<span class='muted'>–</span>"
    weak = " <span class='warn'>(weak)</span>" if d < 0.2 else ""
    return f"{d:+.2f}{weak}"


def _questions(lesson):
    items = [i for i in lesson.items if i.section != "challenges" and i.answered]
    if not items:
        return "<p class='muted'>No answers yet.</p>"
    order = ("diagnostic", "quiz", "practice")
    rows = [f"<tr><td>{_e(i.section)}</td><td>{_e(_short(i.text))}</td><td>{_level(i)}</td>"
            f"<td class='num'>{i.answered}</td><td>{_bar(i.share_right)}</td><td class='num'>{_discrimination(i)}</td>"
            f"<td>{_wrong(i)}</td></tr>"
            for i in sorted(items, key=lambda i: (order.index(i.section), i.share_right))]
    return _table(["where", "question", "designed level", "first tries", "right on the first try",
                   "top third − bottom third", "most chosen wrong answer"], rows)


def _challenges(lesson):
    rows = [f"<tr><td>{_e(_short(i.text, 90))}</td><td>{_level(i)}</td><td class='num'>{i.answered}</td>"
            f"<td>{_bar(i.share_right)}</td><td class='num'>{_discrimination(i)}</td>"
            f"<td class='num'>{'–' if i.median_seconds is None else f'{i.median_seconds:.0f} s'}</td>"
            f"<td class='num'>{i.timed_out}</td><td>{_wrong(i)}</td></tr>"
            for i in lesson.items if i.section == "challenges"]
    return _table(["problem", "designed level", "tried", "right on the first try", "top third − bottom third",
                   "median time", "timed out", "most chosen wrong answer"], rows)


def _concepts(lesson):
    parts = []
    for entry in lesson.concepts.values():
        answers = entry["answers"]
        rows = [f"<tr><td>{_e(c)}</td><td>{_bar(entry['covered'][c] / answers if answers else None)}</td></tr>"
                for c in entry["concepts"]]
        parts.append(f"<p><b>{_e(_short(entry['prompt'], 140))}</b> <span class='muted'>({answers} answers)</span></p>"
                     + _table(["concept", "share of answers that cover it"], rows))
    return "".join(parts)


def report_body(summary):
    """The report without the page around it (what the notebook widget shows)."""
    skipped = "".join(f"<li><code>{_e(name)}</code>: {_e(reason)}</li>" for name, reason in summary.skipped)
    lessons = "".join(
        f"<section class='card'><h3>{_e(s.lesson_id[:2])} {_e(s.title)}</h3>"
        f"<p>{s.started} learner(s) started; {s.badges} earned the <b>{_e(s.badge_name)}</b> badge. "
        f"Diagnostic: {_gain(s)}.</p>"
        f"<h4>Questions</h4>{_questions(s)}<h4>Challenges</h4>{_challenges(s)}"
        f"<h4>Explain: concept coverage</h4>{_concepts(s)}</section>"
        for s in summary.lessons if s.started
    )
    when = f"{summary.now:%Y-%m-%d %H:%M}" if summary.now else ""
    return (
        f"<h1>Class report</h1><p class='muted'>{len(summary.learners)} learner(s) from "
        f"<code>{_e(summary.folder)}</code>, {when}; {len(summary.skipped)} file(s) skipped. Nothing in this page "
        "came from or goes to the network.</p>"
        f"<h2>Who may need a word</h2><p>Learners whose last two answers were wrong in one section, or with no "
        f"activity for {summary.idle_after} days or more.</p>{_attention(summary)}"
        "<h2>Learners</h2><p>First tries right per lesson (quiz, practice and challenges; an answer given again "
        f"after a restart does not count), hints taken, challenges failed.</p>{_learners(summary)}"
        f"<h2>Worth reteaching</h2><p>The questions the class got wrong most on the first try (at least "
        f"{MIN_ANSWERS} answers), and the wrong answer most learners chose.</p>{_reteach(summary)}"
        f"<h2>Lessons</h2>{_overview(summary)}"
        "<p class='muted'>Per item: the designed level against the share right on the first try (easy expects 70% "
        "or more, medium 40 to 90%, hard 70% or less), and how much better the top third of the class did than the "
        f"bottom third (below +0.20: the item tells them apart weakly).</p>{lessons}"
        f"<h2>Skipped files</h2>{'<ul>' + skipped + '</ul>' if skipped else '<p class=muted>None.</p>'}"
    )


def report_html(summary):
    """The whole page: one file, styles inline, no script, nothing fetched."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Fine-Tuning Lab: class report</title>"
            f"<style>{_CSS}</style></head><body><main>{report_body(summary)}</main></body></html>")
