"""FreezeExplorer without a browser: set toggle values, click presets, read counts, chart and code panel."""

import copy
import html
import random
import re

import ipywidgets as ipw
import pytest
import torch
from torch import nn
from traitlets import TraitError

from widgets.engine.checks import SettingError
from widgets.engine.params import count_parameters
from widgets.figures.freezing import freeze_figure
from widgets.kit import zoo
from widgets.ui.freeze_explorer import FreezeExplorer
from widgets.ui.ownership import using


@pytest.fixture
def explorer():
    return FreezeExplorer(zoo.build_architecture("resnet18"))


def _grad_map(model):
    return {name: p.requires_grad for name, p in model.named_parameters()}


def _rebuilt_from_code(explorer):
    """Run the code panel's text, as a learner would paste it, and return the model it builds."""
    namespace = {}
    exec(html.unescape(explorer.code.value.split(">", 1)[1].rsplit("</pre>", 1)[0]), namespace)
    return namespace["model"]


def test_starts_with_everything_trainable(explorer):
    assert list(explorer.toggles) == ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"]
    assert not any(t.value for t in explorer.toggles.values())
    assert explorer.counts == count_parameters(explorer.model)
    assert explorer.counts.frozen == 0 and explorer.counts.trainable == 11_689_512
    assert "100.0% trainable" in explorer.summary.value


def test_freeze_all_replace_head_shows_5130_trainable(explorer):
    explorer.presets["freeze_all"].click()
    assert explorer.counts.trainable == 0
    assert "empty parameter list" in explorer.summary.value
    assert all(t.value for t in explorer.toggles.values())
    explorer.num_classes.value = 10
    explorer.replace_head_button.click()
    assert explorer.counts.trainable == 5130
    assert "<b>5,130</b> trainable" in explorer.summary.value
    assert explorer.toggles["fc"].value is False  # the new head is trainable: its toggle follows
    assert "model.fc = nn.Linear(model.fc.in_features, 10)" in html.unescape(explorer.code.value)
    assert _grad_map(_rebuilt_from_code(explorer)) == _grad_map(explorer.model)


def test_a_toggle_updates_counts_chart_and_code_in_place(explorer):
    figure, frozen_trace = explorer.figure, explorer.figure.data[0]
    explorer.toggles["layer1"].value = True
    layer1 = sum(p.numel() for p in explorer.model.layer1.parameters())
    assert explorer.counts.frozen == layer1
    assert not any(p.requires_grad for p in explorer.model.layer1.parameters())
    assert explorer.figure is figure and explorer.figure.data[0] is frozen_trace  # updated, not rebuilt
    x = list(explorer.figure.data[0].x)
    assert explorer.figure.data[0].y[x.index("layer1")] == layer1
    assert explorer.figure.data[1].y[x.index("layer1")] == 0
    assert "model.layer1.requires_grad_(False)" in explorer.code.value
    explorer.toggles["layer1"].value = False
    assert explorer.counts.frozen == 0


def test_presets(explorer):
    explorer.presets["head_only"].click()
    assert explorer.counts.trainable == 512 * 1000 + 1000
    assert [n for n, t in explorer.toggles.items() if not t.value] == ["fc"]
    explorer.last_n.value = 2
    explorer.presets["last_n"].click()
    assert [n for n, t in explorer.toggles.items() if not t.value] == ["layer4", "fc"]
    assert "model.layer4.requires_grad_(True)" in explorer.code.value
    explorer.presets["unfreeze_all"].click()
    assert explorer.counts.frozen == 0
    assert "nothing is frozen" in explorer.code.value


def test_sub_blocks_and_a_partly_frozen_block(explorer):
    explorer.depth = 2
    assert "layer4.0" in explorer.toggles and "layer4" not in explorer.toggles
    assert "conv1" in explorer.toggles  # a single layer stays whole
    explorer.toggles["layer4.0"].value = True
    explorer.depth = 1
    layer4 = explorer.toggles["layer4"]
    assert layer4.value is False and layer4.icon == "adjust"  # partly frozen: neither blue nor orange
    row = {r.name: r for r in explorer.rows}["layer4"]
    assert row.state == "partly" and 0 < row.trainable < row.parameters
    x = list(explorer.figure.data[0].x)
    assert explorer.figure.data[0].y[x.index("layer4")] + explorer.figure.data[1].y[x.index("layer4")] == row.parameters
    assert "model.layer4[0].requires_grad_(False)" in explorer.code.value


@pytest.mark.slow
def test_code_panel_reproduces_any_state_exactly():
    rng = random.Random(0)
    for name in ("resnet18", "mobilenet_v2", "course"):
        explorer = FreezeExplorer(zoo.build_architecture(name))
        for _ in range(6):
            explorer.depth = rng.choice(explorer.depths)
            for toggle in explorer.toggles.values():
                toggle.value = rng.random() < 0.5
            assert _grad_map(_rebuilt_from_code(explorer)) == _grad_map(explorer.model), name


def test_bad_input_gives_a_message_not_a_traceback(explorer):
    explorer.presets["head_only"].click()
    before = _grad_map(explorer.model)
    explorer.unfreeze_last(0)
    assert "N must be a whole number between 1 and 7; got 0" in explorer.message.value
    explorer.replace_head(-1)
    assert "num_classes" in explorer.message.value
    assert _grad_map(explorer.model) == before  # nothing lost


@pytest.mark.parametrize("typed", [0, -3, 10**6])
def test_a_size_typed_out_of_bounds_is_a_message_not_silently_clamped(explorer, typed):
    """Before: the boxes were bounded, so 10**6 classes became 100,000 (and 0 became 1) without a word."""
    head = explorer.model.fc
    explorer.num_classes.value = typed
    assert explorer.num_classes.value == typed
    explorer.replace_head_button.click()
    assert f"num_classes must be a whole number between 1 and 25,000; got {typed}" in explorer.message.value
    assert explorer.model.fc is head
    explorer.last_n.value = typed
    explorer.presets["last_n"].click()
    assert f"N must be a whole number between 1 and 7; got {typed}" in explorer.message.value


@pytest.mark.parametrize("depth", [0, 4, True, 1.5, "2"])
def test_a_depth_that_is_not_one_of_the_depths_is_refused_not_made_automatic(depth):
    """Before: depth=0 quietly meant "automatic" (``depth or auto_depth(model)``)."""
    with pytest.raises(SettingError, match=f"depth must be a whole number between 1 and 3; got {depth!r}"):
        FreezeExplorer(zoo.build_architecture("course"), depth=depth)
    assert FreezeExplorer(zoo.build_architecture("course"), depth=2).depth == 2


def test_any_module_even_without_a_head():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 1))
    explorer = FreezeExplorer(model)
    assert list(explorer.toggles) == ["0", "2"]
    explorer.presets["head_only"].click()
    assert "no nn.Linear head" in explorer.message.value
    explorer.toggles["0"].value = True
    assert explorer.code_text().startswith("model = ...  # your Sequential")
    fresh = copy.deepcopy(model)
    fresh.requires_grad_(True)
    exec(explorer.code_text().split("\n", 1)[1], {"model": fresh})
    assert _grad_map(fresh) == _grad_map(model)


def test_refresh_reads_changes_made_by_hand(explorer):
    explorer.model.layer2.requires_grad_(False)
    explorer.refresh()
    assert explorer.toggles["layer2"].value is True


def test_a_name_builds_the_architecture_and_a_wrong_one_is_refused():
    assert FreezeExplorer("course").counts.total == count_parameters(zoo.build_architecture("course")).total
    with pytest.raises(ValueError, match="choose one of"):
        FreezeExplorer("resnet19")
    with pytest.raises(TypeError):
        FreezeExplorer(42)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in zoo.ARCHITECTURES if n != "course"])
def test_every_architecture_head_only(name):
    torch.manual_seed(0)
    explorer = FreezeExplorer(zoo.build_architecture(name))
    assert len(explorer.toggles) >= 4
    explorer.presets["head_only"].click()
    head = explorer.model.get_submodule(zoo.head_name(explorer.model))
    assert explorer.counts.trainable == sum(p.numel() for p in head.parameters())
    explorer.replace_head(10)
    assert explorer.counts.trainable == head.in_features * 10 + 10


def test_freeze_figure_shows_frozen_and_trainable_on_a_log_axis_by_pattern_as_well_as_colour():
    explorer = FreezeExplorer("course")
    explorer.toggles["conv1"].value = True
    figure = freeze_figure(explorer.rows)
    assert figure.layout.yaxis.type == "log"  # the 5,130-parameter head is visible next to million-parameter blocks
    assert figure.layout.barmode == "group"
    assert [t.name for t in figure.data] == ["frozen", "trainable"]
    assert figure.data[0].marker.pattern.shape == "/" and not figure.data[1].marker.pattern.shape
    assert list(figure.data[0].x) == ["conv1", "conv2", "conv3", "head"]  # pool has no parameters: no bar


# --- the frozen set and the depth are traitlets: observe them, link them, set them from code --------------------


def _frozen_names(model):
    return {name for name, p in model.named_parameters() if not p.requires_grad}


def test_a_click_on_a_toggle_or_a_preset_updates_frozen_and_observe_sees_it(explorer):
    seen = []
    explorer.observe(lambda change: seen.append(change["new"]), names="frozen")
    explorer.toggles["layer1"].value = True
    explorer.presets["head_only"].click()
    assert seen == [("layer1",), ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")]
    assert explorer.frozen == seen[-1]


def test_frozen_set_from_code_freezes_exactly_those_blocks(explorer):
    explorer.toggles["layer4"].value = True  # trains again below: "exactly" those blocks
    explorer.frozen = ["layer2", "conv1"]  # a list, in any order
    assert explorer.frozen == ("conv1", "layer2")
    model = explorer.model
    assert _frozen_names(model) == {f"conv1.{n}" for n, _ in model.conv1.named_parameters()} | {
        f"layer2.{n}" for n, _ in model.layer2.named_parameters()}
    assert [n for n, t in explorer.toggles.items() if t.value] == ["conv1", "layer2"]
    assert "model.layer2.requires_grad_(False)" in explorer.code.value and "layer2" in explorer.message.value


def test_two_explorers_linked_freeze_the_same_blocks_and_show_the_same_depth(explorer):
    other = FreezeExplorer(zoo.build_architecture("resnet18"))
    frozen, depth = ipw.link((explorer, "frozen"), (other, "frozen")), ipw.link((explorer, "depth"), (other, "depth"))
    explorer.toggles["layer3"].value = True  # a click in one ...
    assert other.frozen == ("layer3",) and other.toggles["layer3"].value  # ... freezes the other's model too
    assert _frozen_names(other.model) == _frozen_names(explorer.model)
    other.depth_box.value = 2
    assert explorer.depth == 2 and "layer3.0" in explorer.toggles and explorer.frozen == ("layer3.0", "layer3.1")
    frozen.unlink(), depth.unlink()


@pytest.mark.parametrize("value, error, message", [
    (("layer5",), SettingError, "frozen: ResNet has no part named 'layer5'.* Did you mean 'layer4'"),
    (("layer4.2",), SettingError, "frozen: ResNet has no part named 'layer4.2'.* Did you mean 'layer4.1'"),
    (("",), SettingError, "frozen: ResNet has no part named ''"),
    ((3,), SettingError, "frozen must be block names such as 'conv1'; got 3"),
    ("layer1", TraitError, "'frozen' trait of a FreezeExplorer instance expected a tuple"),
])
def test_a_bad_frozen_set_from_code_is_refused_by_name_and_said_in_the_widget(explorer, value, error, message):
    explorer.presets["head_only"].click()
    before, grads = explorer.frozen, _grad_map(explorer.model)
    with pytest.raises(error, match=message):
        explorer.frozen = value
    assert explorer.frozen == before and _grad_map(explorer.model) == grads  # nothing changed
    if error is SettingError:  # a bad name may come through a link: the widget says it too
        assert re.search(message, html.unescape(explorer.message.value))


@pytest.mark.parametrize("depth", [0, 4, True])
def test_a_bad_depth_from_code_is_refused_by_name_and_changes_nothing(explorer, depth):
    with pytest.raises(SettingError, match=f"depth must be a whole number between 1 and 3; got {depth!r}"):
        explorer.depth = depth
    assert explorer.depth == explorer.depth_box.value == 1 and "layer4" in explorer.toggles


def test_frozen_is_refused_while_another_widget_trains_the_model(explorer):
    class Trainer:
        display_name = "LRFinder"

    with using(explorer.model, Trainer()):
        with pytest.raises(SettingError, match="LRFinder is using this model"):
            explorer.frozen = ("layer1",)
    assert explorer.frozen == () and not _frozen_names(explorer.model)


def test_a_sub_block_set_from_code_is_frozen_and_read_back_at_the_depth_shown(explorer):
    explorer.frozen = ("layer4.0", "layer4.1")  # all of layer4, by its sub-blocks
    assert explorer.frozen == ("layer4",) and explorer.toggles["layer4"].value
    explorer.frozen = ("layer4.0",)  # half of it: layer4 is partly frozen, so not in the set
    assert explorer.frozen == () and explorer.toggles["layer4"].icon == "adjust"
    assert _frozen_names(explorer.model) == {f"layer4.0.{n}" for n, _ in explorer.model.layer4[0].named_parameters()}


def test_refresh_after_a_change_by_hand_updates_frozen(explorer):
    seen = []
    explorer.observe(lambda change: seen.append(change["new"]), names="frozen")
    explorer.model.layer2.requires_grad_(False)
    explorer.refresh()
    assert explorer.frozen == ("layer2",) and seen == [("layer2",)]
