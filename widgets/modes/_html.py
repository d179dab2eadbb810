"""Small HTML helpers shared by the learning-mode views (no ipywidgets here)."""

import html
import re

_FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_PRE_STYLE = "background:#f6f8fa;padding:6px 8px;border-radius:4px;margin:4px 0"


def md(text):
    """Render the little Markdown the content files use: ```code blocks```, `code`, **bold**, line breaks.

    Everything is HTML-escaped first, so content text can never inject markup or script.
    """
    text = str(text or "").strip()
    blocks = []

    def keep_block(match):
        blocks.append(code_block(match.group(1)))
        return f"\x00{len(blocks) - 1}\x00"

    text = _FENCE.sub(keep_block, text)
    text = html.escape(text, quote=False)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = text.replace("\n", "<br>")
    return re.sub("\x00(\\d+)\x00", lambda m: blocks[int(m.group(1))], text)


def code_block(code):
    return f"<pre style='{_PRE_STYLE}'>{html.escape(str(code).rstrip(), quote=False)}</pre>"


def note(text, kind="info"):
    """A coloured message box: kind is info, good, bad or warn."""
    colours = {"info": "#e8f0fe", "good": "#e6f4ea", "bad": "#fce8e6", "warn": "#fef7e0"}
    return (
        f"<div style='background:{colours.get(kind, colours['info'])};padding:6px 10px;"
        f"border-radius:4px;margin:4px 0'>{text}</div>"
    )


def tag(text, colour="#5f6368"):
    return (
        f"<span style='border:1px solid {colour};color:{colour};border-radius:10px;"
        f"padding:0 8px;font-size:85%;margin-right:4px'>{html.escape(str(text))}</span>"
    )


DIFFICULTY_COLOURS = {
    "beginner": "#188038",
    "intermediate": "#1a73e8",
    "advanced": "#e37400",
    "expert": "#c5221f",
}


def difficulty_tag(difficulty):
    return tag(difficulty, DIFFICULTY_COLOURS.get(difficulty, "#5f6368"))
