"""The class report in a notebook, and written to files (``python -m widgets.report FOLDER`` does the same): a
self-contained HTML page and, beside it, a CSV with one row per learner per lesson."""

from pathlib import Path

import ipywidgets as ipw

from .base import button
from .classroom.export import report_csv
from .classroom.page import report_body, report_html
from .classroom.summary import IDLE_DAYS, summarize_class
from .markup import escape, note


def write_report(folder, out=None, idle_after=IDLE_DAYS, now=None):
    """Read ``folder`` and write the report page (default ``class_report.html`` in it) and the CSV beside it
    (the page's name with ``.csv``); returns (page path, summary). The files written are never read as hand-ins."""
    path = Path(out) if out is not None else Path(folder) / "class_report.html"
    table = path.with_suffix(".csv")
    summary = summarize_class(folder, now=now, idle_after=idle_after, ignore=(path, table))
    path.write_text(report_html(summary), encoding="utf-8")
    with open(table, "w", encoding="utf-8", newline="") as f:
        f.write(report_csv(summary))
    return path, summary


class ClassReport(ipw.VBox):
    """The report for a folder of learners' exported progress files, with a button that saves it as a page and a
    CSV."""

    def __init__(self, folder, idle_after=IDLE_DAYS):
        self.folder = Path(folder)
        self.idle_after = idle_after
        self.message = ipw.HTML()
        self.body = ipw.HTML()
        self.save_button = button("Save as a page and a CSV", primary=True)
        self.save_button.on_click(lambda _: self.save())
        super().__init__([self.message, self.body, self.save_button])
        self.refresh()

    def refresh(self):
        try:
            self.summary = summarize_class(self.folder, idle_after=self.idle_after)
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
            path, _ = write_report(self.folder, out, self.idle_after)
        except OSError as err:
            self.message.value = note(f"Could not save the report: {escape(err)}", "bad")
            return None
        self.message.value = note(f"Saved <code>{escape(path)}</code> (one file, open it in any browser) and "
                                  f"<code>{escape(path.with_suffix('.csv'))}</code>.", "good")
        return path
