"""Cheat sheet: the lesson's key points and code on one compact, printable page."""

import html
from pathlib import Path

import ipywidgets as ipw

from .content.schema import point_text
from .markup import code_block, md, note

_PRINT_CSS = """
body { font-family: system-ui, sans-serif; font-size: 12px; margin: 16px; }
h1 { font-size: 16px; margin: 0 0 8px 0; }
ul { margin: 0 0 8px 16px; padding: 0; }
li { margin: 2px 0; }
pre { background: #f6f8fa; padding: 6px; font-size: 11px; margin: 2px 0 8px 0; white-space: pre-wrap; }
h2 { font-size: 13px; margin: 8px 0 2px 0; }
@media print { pre { break-inside: avoid; } }
"""


class CheatSheet(ipw.VBox):
    """The cheat sheet as a widget, with a button that saves it as a standalone page to print."""

    def __init__(self, sheet, lesson_id=None, title=None):
        self.sheet = sheet
        self.lesson_id = lesson_id
        self.title = title or sheet.get("title") or (f"Cheat sheet: {lesson_id}" if lesson_id else "Cheat sheet")
        self.body = ipw.HTML(self.to_html())
        self.save_button = ipw.Button(description="Save printable page", layout=ipw.Layout(width="auto"))
        self.saved = ipw.HTML()
        self.save_button.on_click(lambda _: self._save())
        super().__init__([self.body, ipw.HBox([self.save_button]), self.saved])

    def to_html(self):
        points = "".join(f"<li>{md(point_text(p))}</li>" for p in self.sheet["points"])
        snippets = "".join(
            f"<div style='margin-top:4px'><b>{html.escape(s['title'])}</b>{code_block(s['code'])}</div>"
            for s in self.sheet["code"]
        )
        return f"<div style='font-size:95%'><b>{html.escape(self.title)}</b><ul>{points}</ul>{snippets}</div>"

    def to_markdown(self):
        lines = [f"# {self.title}", ""] + [f"- {point_text(p)}" for p in self.sheet["points"]]
        for s in self.sheet["code"]:
            lines += ["", f"**{s['title']}**", "", "```python", str(s["code"]).rstrip(), "```"]
        return "\n".join(lines) + "\n"

    def save(self, path=None):
        """Write a standalone HTML page (print it from the browser); returns its path."""
        path = Path(path or f"cheatsheet_{self.lesson_id or 'lesson'}.html")
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{_PRINT_CSS}</style></head><body>{self.to_html()}</body></html>"
        )
        path.write_text(page, encoding="utf-8")
        return path

    def _save(self):
        try:
            path = self.save()
        except OSError as err:
            self.saved.value = note(f"Could not save the page here ({html.escape(str(err))}).", "bad")
            return
        self.saved.value = note(
            f"Saved <a href='{html.escape(path.name)}' target='_blank'>{html.escape(path.name)}</a> next to this "
            "notebook: open it and print (Ctrl+P).", "good"
        )
