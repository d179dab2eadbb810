"""The class report in a notebook, and written to a file (``python -m widgets.report FOLDER`` does the same)."""

from pathlib import Path

import ipywidgets as ipw

from .base import button
from .classroom.page import report_body, report_html
from .classroom.summary import summarize_class
from .markup import escape, note


def write_report(folder, out=None):
    """Read ``folder`` and write the report page; returns (path, summary). Default: ``class_report.html`` in it."""
    summary = summarize_class(folder)
    path = Path(out) if out is not None else Path(folder) / "class_report.html"
    path.write_text(report_html(summary), encoding="utf-8")
    return path, summary


class ClassReport(ipw.VBox):
    """The report for a folder of learners' exported progress files, with a button that saves it as a page."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.message = ipw.HTML()
        self.body = ipw.HTML()
        self.save_button = button("Save as a page", primary=True)
        self.save_button.on_click(lambda _: self.save())
        super().__init__([self.message, self.body, self.save_button])
        self.refresh()

    def refresh(self):
        try:
            self.summary = summarize_class(self.folder)
        except FileNotFoundError as err:
            self.summary = None
            self.body.value = ""
            self.message.value = note(escape(err), "bad")
            self.save_button.disabled = True
            return
        self.body.value = report_body(self.summary)
        self.message.value = ""
        self.save_button.disabled = False

    def save(self, out=None):
        try:
            path, _ = write_report(self.folder, out)
        except OSError as err:
            self.message.value = note(f"Could not save the report: {escape(err)}", "bad")
            return None
        self.message.value = note(f"Saved <code>{escape(path)}</code>: one file, open it in any browser.", "good")
        return path
