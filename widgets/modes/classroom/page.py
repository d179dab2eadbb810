"""The class report as one self-contained HTML page: no script, no external file, every text escaped."""

import html

from .summary import MIN_ANSWERS

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #202124; margin: 24px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px 0; } h2 { font-size: 18px; margin: 28px 0 6px 0; }
h3 { font-size: 15px; margin: 16px 0 4px 0; } p { margin: 4px 0; }
table { border-collapse: collapse; margin: 6px 0 12px 0; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #dadce0; vertical-align: top; }
th { background: #f1f3f4; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 90px; height: 10px; background: #e8eaed; border-radius: 5px; margin-right: 6px;
  vertical-align: middle; } .bar span { display: block; height: 10px; border-radius: 5px; background: #1a5fb4; }
.low .bar span { background: #b3261e; } .muted { color: #5f6368; } .card { border: 1px solid #dadce0;
  border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
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


def _wrong(item):
    top = item.top_wrong
    return (f"{_e(_short(top[0], 60))} <span class='muted'>({top[1]})</span>" if top
            else "<span class='muted'>none</span>")


def _reteach(summary):
    items = summary.reteach()
    if not items:
        return f"<p class='muted'>No item has {MIN_ANSWERS} or more answers with mistakes yet.</p>"
    rows = "".join(
        f"<tr><td>{_e(i.lesson_id[:2])}</td><td>{_e(i.section)}</td><td>{_e(_short(i.text))}</td>"
        f"<td class='num'>{i.answered}</td><td>{_bar(i.share_right)}</td><td>{_wrong(i)}</td></tr>"
        for i in items
    )
    return ("<table><thead><tr><th scope='col'>lesson</th><th scope='col'>where</th><th scope='col'>question</th>"
            "<th scope='col'>answers</th><th scope='col'>right</th><th scope='col'>most chosen wrong answer</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


def _overview(summary):
    n = len(summary.learners)
    rows = "".join(
        f"<tr><td>{_e(s.lesson_id[:2])} {_e(s.title)}</td><td class='num'>{s.started} / {n}</td>"
        f"<td>{_bar(sum(s.completion) / len(s.completion) if s.completion else None)}</td>"
        f"<td class='num'>{s.badges}</td><td>{_e(s.badge_name)}</td></tr>"
        for s in summary.lessons
    )
    return ("<table><thead><tr><th scope='col'>lesson</th><th scope='col'>started</th>"
            "<th scope='col'>mean completion (of those who started)</th><th scope='col'>badges</th>"
            f"<th scope='col'>badge</th></tr></thead><tbody>{rows}</tbody></table>")


def _questions(lesson):
    items = [i for i in lesson.items if i.section != "challenges" and i.answered]
    if not items:
        return "<p class='muted'>No answers yet.</p>"
    rows = "".join(
        f"<tr><td>{_e(i.section)}</td><td>{_e(_short(i.text))}</td><td class='num'>{i.answered}</td>"
        f"<td>{_bar(i.share_right)}</td><td>{_wrong(i)}</td></tr>"
        for i in sorted(items, key=lambda i: (("diagnostic", "quiz", "practice").index(i.section), i.share_right))
    )
    return ("<table><thead><tr><th scope='col'>where</th><th scope='col'>question</th><th scope='col'>answers</th>"
            "<th scope='col'>right</th><th scope='col'>most chosen wrong answer</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _challenges(lesson):
    items = [i for i in lesson.items if i.section == "challenges"]
    rows = "".join(
        f"<tr><td>{_e(_short(i.text, 90))}</td><td class='num'>{i.answered}</td><td>{_bar(i.share_right)}</td>"
        f"<td class='num'>{'–' if i.median_seconds is None else f'{i.median_seconds:.0f} s'}</td>"
        f"<td class='num'>{i.timed_out}</td><td>{_wrong(i)}</td></tr>"
        for i in items
    )
    return ("<table><thead><tr><th scope='col'>problem</th><th scope='col'>tried</th><th scope='col'>solved</th>"
            "<th scope='col'>median time</th><th scope='col'>timed out</th>"
            "<th scope='col'>most chosen wrong answer</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _concepts(lesson):
    parts = []
    for entry in lesson.concepts.values():
        answers = entry["answers"]
        rows = "".join(
            f"<tr><td>{_e(concept)}</td><td>{_bar(entry['covered'][concept] / answers if answers else None)}</td></tr>"
            for concept in entry["concepts"]
        )
        parts.append(f"<p><b>{_e(_short(entry['prompt'], 140))}</b> <span class='muted'>({answers} answers)</span></p>"
                     "<table><thead><tr><th scope='col'>concept</th><th scope='col'>share of answers that cover it</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    return "".join(parts)


def report_body(summary):
    """The report without the page around it (what the notebook widget shows)."""
    skipped = "".join(f"<li><code>{_e(name)}</code>: {_e(reason)}</li>" for name, reason in summary.skipped)
    lessons = "".join(
        f"<section class='card'><h3>{_e(s.lesson_id[:2])} {_e(s.title)}</h3>"
        f"<p>{s.started} learner(s) started; {s.badges} earned the <b>{_e(s.badge_name)}</b> badge.</p>"
        f"<h4>Questions</h4>{_questions(s)}<h4>Challenges</h4>{_challenges(s)}"
        f"<h4>Explain: concept coverage</h4>{_concepts(s)}</section>"
        for s in summary.lessons if s.started
    )
    return (
        f"<h1>Class report</h1><p class='muted'>{len(summary.learners)} learner(s) from "
        f"<code>{_e(summary.folder)}</code>"
        f"; {len(summary.skipped)} file(s) skipped. Nothing in this page came from or goes to the network.</p>"
        f"<h2>Worth reteaching</h2><p>The questions the class got wrong most (at least {MIN_ANSWERS} answers), "
        f"and the wrong answer most learners chose.</p>{_reteach(summary)}"
        f"<h2>Lessons</h2>{_overview(summary)}{lessons}"
        f"<h2>Skipped files</h2>{'<ul>' + skipped + '</ul>' if skipped else '<p class=muted>None.</p>'}"
    )


def report_html(summary):
    """The whole page: one file, styles inline, no script, nothing fetched."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Fine-Tuning Lab: class report</title>"
            f"<style>{_CSS}</style></head><body><main>{report_body(summary)}</main></body></html>")
