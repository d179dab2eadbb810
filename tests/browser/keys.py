"""Keyboard helpers for the browser tests of the lessons' widgets: where the focus is, and Tab until it is there."""

FOCUSED = """() => { const a = document.activeElement;
  const row = a.closest('.widget-inline-hbox');
  const label = a.closest('label') || (row ? row.querySelector('label') : null);  // a checkbox sits in its label
  return {tag: a.tagName, type: a.type || '', text: (a.innerText || '').trim().slice(0, 60), value: a.value || '',
          label: label ? label.innerText.trim() : '', pressed: a.getAttribute('aria-pressed'),
          checked: a.checked === undefined ? null : a.checked}; }"""


def focused(lab):
    return lab.page.evaluate(FOCUSED)


def tab_until(lab, predicate, limit=60):
    """Press Tab until the focused element satisfies ``predicate``, as a learner tabs through a widget."""
    for _ in range(limit):
        now = focused(lab)
        if predicate(now):
            return now
        lab.page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the element; the focus is on {focused(lab)}")


def type_over(lab, text):
    """Replace the focused box's text with ``text`` and leave it with Tab (an ipywidgets box sends its value then)."""
    lab.page.keyboard.press("Control+A")
    lab.page.keyboard.type(text)
    lab.page.keyboard.press("Tab")


def scope(area):
    """A CSS selector for ``area`` alone (a cell's output), for axe: the element is tagged to be found."""
    area.evaluate("element => element.setAttribute('data-axe-scope', '')")
    return "[data-axe-scope]"
