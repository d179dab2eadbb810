"""HTML for the learning-mode views: Markdown through mistune (the renderer nbconvert already installs), notes,
tags. No ipywidgets here.

Content files and learner text never inject markup: mistune runs with ``escape=True`` (raw HTML is shown as
text) and drops links to harmful protocols such as ``javascript:``.
"""

import html
import re

import mistune

_render = mistune.create_markdown(escape=True, hard_wrap=True)
_PRE_STYLE = "background:#f6f8fa;padding:6px 8px;border-radius:4px;margin:4px 0;white-space:pre-wrap"
_ONE_PARAGRAPH = re.compile(r"^<p>(.*)</p>\s*$", re.S)


def md(text):
    """Markdown to HTML for a line or a paragraph of content: `code`, **bold**, ```code blocks```, lists.

    A single paragraph comes back without its ``<p>``, so it can sit inside a sentence or a note."""
    out = _render(str(text or "").strip())
    single = _ONE_PARAGRAPH.match(out)
    if single and "<p>" not in single.group(1):
        out = single.group(1)
    return out.replace("<pre>", f"<pre style='{_PRE_STYLE}'>").strip()


def code_block(code):
    return f"<pre style='{_PRE_STYLE}'>{html.escape(str(code).rstrip(), quote=False)}</pre>"


# Text on these backgrounds keeps a contrast ratio of at least 4.5 (WCAG AA) with the default dark text.
NOTE_COLOURS = {"info": "#e8f0fe", "good": "#e6f4ea", "bad": "#fce8e6", "warn": "#fef7e0"}


def note(text, kind="info"):
    """A coloured message box: kind is info, good, bad or warn."""
    return (
        f"<div style='background:{NOTE_COLOURS.get(kind, NOTE_COLOURS['info'])};color:#202124;padding:6px 10px;"
        f"border-radius:4px;margin:4px 0'>{text}</div>"
    )


def tag(text, colour="#5f6368"):
    return (
        f"<span style='border:1px solid {colour};color:{colour};background:#fff;border-radius:10px;"
        f"padding:0 8px;font-size:85%;margin-right:4px'>{html.escape(str(text))}</span>"
    )


# Dark enough for a 4.5 contrast ratio on white.
LEVEL_COLOURS = {"easy": "#137333", "medium": "#1a5fb4", "hard": "#b3261e"}


def level_tag(level):
    return tag(level, LEVEL_COLOURS.get(level, "#5f6368"))


def escape(text):
    return html.escape(str(text))
