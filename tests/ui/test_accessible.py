"""The accessible controls, headless: what they tell the front end (their roles and states are checked in a
real browser by tests/browser/test_keyboard.py and test_accessibility.py)."""

from widgets.accessible import LiveHTML, PressedToggle, RadioGroup


def test_radio_group_reports_enter_and_asks_for_focus():
    sent, entered = [], []
    group = RadioGroup(labels=["a", "b"], label="Answer options")
    group.send = lambda content, buffers=None: sent.append(content)
    group.on_enter(lambda: entered.append(group.index))
    group.index = 1
    group._on_message(group, {"event": "enter"}, [])
    group._on_message(group, {"event": "enter", "index": 0}, [])  # the choice travels with Enter
    group._on_message(group, {"event": "enter", "index": 7}, [])  # not an option: ignored
    group._on_message(group, {"event": "something else"}, [])
    group.focus()
    assert entered == [1, 0, 0] and sent == [{"do": "focus"}]


def test_the_front_ends_say_their_roles_and_states():
    assert "role\", \"radiogroup\"" in RadioGroup._esm and "data-lm-suppress-shortcuts" in RadioGroup._esm
    assert "aria-pressed" in PressedToggle._esm and "aria-live" in LiveHTML._esm


def test_live_region_politeness_follows_its_role():
    assert LiveHTML(role="status").live == "polite"
    assert LiveHTML(role="alert").live == "assertive"
    assert LiveHTML(role="timer").live == "off"  # a ticking clock must not talk every second


def test_pressed_toggle_is_a_drop_in_for_a_toggle_button():
    toggle = PressedToggle(description="conv1", tooltip="conv1: 2,496 parameters, trainable")
    changes = []
    toggle.observe(lambda change: changes.append(change["new"]), names="value")
    toggle.value = True
    toggle.icon, toggle.button_style = "lock", "info"
    assert changes == [True] and toggle.description == "conv1"
