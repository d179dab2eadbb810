"""FreezeExplorer: freeze and unfreeze the blocks of a model and see, live, what trains.

ipywidgets wiring only. The state is the model itself (each parameter's ``requires_grad``), read into two traitlets
after every change: ``frozen`` (the blocks shown that are wholly frozen) and ``depth`` (which blocks are shown).
Setting ``frozen`` from code freezes exactly those blocks; a click on a toggle updates it; so ``observe`` and
``ipywidgets.link`` work. Counting, the block table and the code come from :mod:`widgets.engine.params`, freezing
from :mod:`widgets.engine.freezing`, the chart from :mod:`widgets.figures.freezing`.
"""

import html

import ipywidgets as ipw
import plotly.graph_objects as go
import traitlets
from torch import nn

from ..accessible import PressedToggle
from ..engine import freezing, params
from ..engine.checks import SettingError, whole
from ..figures.freezing import freeze_figure, update_freeze_figure
from ..kit import zoo
from .inputs import Checked, code_view
from .messages import ERROR, message_html
from .ownership import user_of

DEPTH_LABELS = {1: "blocks", 2: "sub-blocks", 3: "sub-sub-blocks"}
MAX_TOGGLES = 80
#: the most outputs a new head may have: more than ImageNet-21k's 21,843 classes is a typo
MAX_CLASSES = 25_000


class FreezeExplorer(ipw.VBox):
    """One toggle per block (``True`` = frozen), presets, a head-replacement control, live counts, chart and code.

    ``model`` is any ``nn.Module`` (it is changed in place: that is the point), or a name from
    ``widgets.ARCHITECTURES``, built offline with random weights. Driving it from code::

        explorer = FreezeExplorer(model)
        explorer.toggles["layer1"].value = True      # freeze layer1 (explorer.frozen follows)
        explorer.frozen = ("layer1", "layer2")       # freeze exactly these blocks, every other one trains
        explorer.presets["head_only"].click()        # freeze all but the head
        explorer.counts.trainable                    # what would train now
    """

    display_name = "FreezeExplorer"
    #: the blocks shown that are wholly frozen, in the model's order (a partly frozen block is not in it); set it to
    #: any parts' names (``"layer4.0"`` too) to freeze exactly those, and it reads them back at the depth shown
    frozen = traitlets.Tuple()
    #: 1 shows the top-level blocks, 2 their sub-blocks, 3 theirs
    depth = Checked(1, lambda value: whole(value, "depth", 1, max(DEPTH_LABELS)))

    def __init__(self, model, depth=None, num_classes=10):
        if isinstance(model, str):
            model = zoo.build_architecture(model)
        if not isinstance(model, nn.Module):
            raise TypeError(f"FreezeExplorer needs a torch nn.Module or a model name, got {type(model).__name__}")
        super().__init__()
        self.model = model
        self._syncing = False  # the toggles are being set from the model: not clicks
        self._reading = False  # ``frozen`` is being read from the model: nothing to apply
        self.toggles, self._blocks, self._sizes = {}, [], []
        self._head_lines = []  # head replacements done here, for the code panel
        try:
            self._head = zoo.head_name(model)
        except ValueError:
            self._head = None

        self.title = ipw.HTML(self._title_html())
        # None: the depth that shows the model's real blocks; 0 is not "automatic", it is refused like any other
        start_depth = params.auto_depth(model) if depth is None else whole(depth, "depth", 1, max(DEPTH_LABELS))
        # a depth that would show hundreds of toggles (ResNet152's every conv) teaches nothing: offer it not
        self.depths = [d for d in DEPTH_LABELS if d <= start_depth or self._toggle_count(d) <= MAX_TOGGLES]
        self.depth = start_depth
        self.depth_box = ipw.Dropdown(options=[(f"{d}: {DEPTH_LABELS[d]}", d) for d in self.depths],
                                      description="Show", layout=ipw.Layout(width="220px"))
        traitlets.link((self, "depth"), (self.depth_box, "value"))
        self.toggle_box = ipw.HBox(layout=ipw.Layout(flex_flow="row wrap"))

        # plain boxes, not bounded ones: a bounded box would silently change 0 or 10**6 to its limit; the button says
        self.last_n = ipw.IntText(value=2, description="N", layout=ipw.Layout(width="120px"))
        self.presets = {
            "freeze_all": ipw.Button(description="Freeze all", icon="lock"),
            "head_only": ipw.Button(description="Train head only", icon="graduation-cap"),
            "last_n": ipw.Button(description="Unfreeze last N blocks", icon="unlock-alt",
                                 layout=ipw.Layout(width="190px")),
            "unfreeze_all": ipw.Button(description="Unfreeze all", icon="unlock"),
        }
        self.presets["freeze_all"].on_click(lambda _: self.freeze_all())
        self.presets["head_only"].on_click(lambda _: self.train_head_only())
        self.presets["last_n"].on_click(lambda _: self.unfreeze_last(self.last_n.value))
        self.presets["unfreeze_all"].on_click(lambda _: self.unfreeze_all())

        num_classes = whole(num_classes, "num_classes", 1, MAX_CLASSES)
        self.num_classes = ipw.IntText(value=num_classes, description="classes", layout=ipw.Layout(width="160px"))
        self.replace_head_button = ipw.Button(description="Replace head", icon="exchange")
        self.replace_head_button.on_click(lambda _: self.replace_head(self.num_classes.value))
        self.head_label = ipw.HTML()

        self.summary = ipw.HTML()
        self.message = ipw.HTML()
        self.code = ipw.HTML()
        self.figure = go.FigureWidget(freeze_figure([]))

        self._build_toggles()
        self.children = [
            self.title,
            ipw.HBox([self.depth_box, ipw.HTML("<i>toggle = frozen (blue) / trainable (orange)</i>")]),
            self.toggle_box,
            ipw.HBox([self.presets["freeze_all"], self.presets["head_only"], self.presets["last_n"],
                      self.last_n, self.presets["unfreeze_all"]], layout=ipw.Layout(flex_flow="row wrap")),
            ipw.HBox([self.head_label, self.num_classes, self.replace_head_button]),
            self.summary,
            self.message,
            self.figure,
            self.code,
        ]
        self.refresh()
        self.observe(self._on_depth, names="depth")
        self.observe(self._freeze_exactly, names="frozen")

    # --- the settings, checked once ---------------------------------------------------------------------------

    @traitlets.validate("depth")
    def _valid_depth(self, proposal):
        if proposal["value"] not in self.depths:
            raise SettingError(f"depth {proposal['value']} would show too many toggles to read (more than "
                               f"{MAX_TOGGLES}); choose one of: {', '.join(map(str, self.depths))}.")
        return proposal["value"]

    @traitlets.validate("frozen")
    def _valid_frozen(self, proposal):
        names = proposal["value"]
        if self._reading:  # read from the model itself
            return names
        parts = {name: k for k, name in enumerate(
            [n for n, _ in self.model.named_modules() if n] + [n for n, _ in self.model.named_parameters()])}
        try:
            for name in names:
                if not isinstance(name, str):
                    raise SettingError(f"frozen must be block names such as {next(iter(self.toggles), 'fc')!r}; "
                                       f"got {name!r}.")
                if name not in parts:
                    raise SettingError(f"frozen: {freezing.unknown_name_message(self.model, name)}")
            if self._busy():
                raise SettingError(self._busy())
        except SettingError as error:  # said in the widget too: a bad name may come through a link
            self.message.value = message_html("⚠ " + str(error), ERROR)
            raise
        return tuple(sorted(set(names), key=parts.get))  # the model's order, once each

    def _freeze_exactly(self, change):
        if self._reading:
            return
        freezing.freeze_exactly(self.model, change["new"])
        self.refresh(f"Frozen: {', '.join(change['new']) or 'nothing'}; every other block trains.")

    # --- actions (the buttons call these; so can code) -------------------------------------------------------

    def _busy(self):
        """A message when another widget is training this model right now (its flags must not change under it)."""
        holder = user_of(self.model)
        if holder is None or holder is self:
            return ""
        return (f"A {getattr(holder, 'display_name', type(holder).__name__)} is using this model right now; "
                "wait until it finishes (or press its Stop), then change what is frozen.")

    def _say_busy(self):
        self.message.value = message_html("⚠ " + self._busy(), ERROR)

    def freeze_all(self):
        if self._busy():
            self._say_busy()
            return
        freezing.freeze(self.model)
        self.refresh("Everything is frozen.")

    def unfreeze_all(self):
        if self._busy():
            self._say_busy()
            return
        freezing.unfreeze(self.model)
        self.refresh("Everything trains.")

    def train_head_only(self):
        if self._busy():
            self._say_busy()
            return
        if self._head is None:
            self.refresh(error="This model has no nn.Linear head to train.")
            return
        freezing.freeze(self.model)
        freezing.unfreeze(self.model, self._head)
        self.refresh(f"Only the head ({self._head}) trains.")

    def unfreeze_last(self, n):
        if self._busy():
            self._say_busy()
            return
        names = list(self.toggles)
        try:
            n = whole(n, "N", 1, len(names))
        except SettingError as error:
            self.refresh(error=f"{error} (N counts the blocks shown.)")
            return
        freezing.freeze(self.model)
        freezing.unfreeze(self.model, *names[-n:])
        self.refresh(f"The last {n} block(s) train: {', '.join(names[-n:])}.")

    def replace_head(self, num_classes):
        if self._busy():
            self._say_busy()
            return
        if self._head is None:
            self.refresh(error="This model has no nn.Linear layer to replace.")
            return
        try:
            whole(num_classes, "num_classes", 1, MAX_CLASSES)
            zoo.replace_head(self.model, num_classes)
        except SettingError as error:
            self.refresh(error=str(error))
            return
        self._head_lines = ["from torch import nn", zoo.head_code(self.model, num_classes)]
        self._build_toggles()  # the new layer is a new module: the head's toggle must follow it
        self.refresh(f"New head: {self._head} now has {num_classes} outputs and fresh, trainable weights.")

    # --- wiring -------------------------------------------------------------------------------------------------

    def _build_toggles(self):
        self._blocks = [
            (name, params.parameters_of(part)) for name, part in params.blocks(self.model, self.depth)
        ]
        self._blocks = [(name, ps) for name, ps in self._blocks if ps]
        self._sizes = [sum(p.numel() for p in ps) for _, ps in self._blocks]
        self.toggles = {}
        for name, _ in self._blocks:
            # aria-pressed: state by more than colour
            toggle = PressedToggle(description=name, layout=ipw.Layout(width="auto"))
            toggle.observe(self._on_toggle, names="value")
            self.toggles[name] = toggle
        self.toggle_box.children = tuple(self.toggles.values())

    def _toggle_count(self, depth):
        return sum(1 for _, part in params.blocks(self.model, depth) if params.parameters_of(part))

    def _on_depth(self, change):
        self._build_toggles()
        self.refresh()

    def _on_toggle(self, change):
        if self._syncing:
            return
        name = change["owner"].description
        if self._busy():  # put the toggle back; the model's flags belong to the other widget's run just now
            self._syncing = True
            try:
                change["owner"].value = change["old"]
            finally:
                self._syncing = False
            self._say_busy()
            return
        (freezing.freeze if change["new"] else freezing.unfreeze)(self.model, name)
        shared = sorted({other for n, others in freezing.shared_names(self.model).items()
                         if n == name or n.startswith(name + ".") for other in others
                         if other != name and not other.startswith(name + ".")})
        also = f" Its weights are shared with {', '.join(shared)}, so those changed too." if shared else ""
        self.refresh(f"{name} {'frozen' if change['new'] else 'trains'}.{also}")

    def refresh(self, note="", error=""):
        """Read the model's state and update toggles, counts, chart and code (after changing the model by hand too)."""
        rows = []
        for (name, ps), size in zip(self._blocks, self._sizes):
            trainable = sum(p.numel() for p in ps if p.requires_grad)
            rows.append(params.BlockRow(name, "", size, trainable, params.state_of(ps)))
        self.rows = rows
        self.counts = params.count_parameters(self.model)

        self._syncing = self._reading = True
        try:
            for row in rows:
                toggle = self.toggles[row.name]
                toggle.value = row.state == "frozen"
                toggle.icon = {"frozen": "lock", "trainable": "unlock", "partly": "adjust"}[row.state]
                toggle.button_style = {"frozen": "info", "trainable": "warning", "partly": ""}[row.state]
                toggle.tooltip = f"{row.name}: {row.parameters:,} parameters, {row.state}"
            self.frozen = tuple(row.name for row in rows if row.state == "frozen")
        finally:
            self._syncing = self._reading = False

        update_freeze_figure(self.figure, rows)
        self.summary.value = self._summary_html()
        self.code.value = code_view(self.code_text())
        if error:
            self.message.value = message_html("⚠ " + error, ERROR)
        else:
            self.message.value = message_html(note) if note else ""
        self.head_label.value = (
            f"Replace head <code>{self._head}</code> "
            f"({self.model.get_submodule(self._head).out_features} outputs) with" if self._head
            else "<i>No nn.Linear head to replace.</i>"
        )

    def code_text(self):
        """The exact PyTorch lines that reproduce the current state from a freshly built model."""
        build = getattr(self.model, "build_code", None) or f"model = ...  # your {type(self.model).__name__}"
        return "\n".join([build, *self._head_lines, params.freeze_code(self.model)])

    def _title_html(self):
        name = getattr(self.model, "arch_name", type(self.model).__name__)
        info = getattr(self.model, "weights_info", "")
        return f"<b>FreezeExplorer: {html.escape(name)}</b>" + (f" &middot; <i>{html.escape(info)}</i>" if info else "")

    def _summary_html(self):
        c = self.counts
        text = (
            f"<b>{c.trainable:,}</b> trainable &middot; <b>{c.frozen:,}</b> frozen &middot; "
            f"{c.total:,} total &middot; <b>{c.percent_text}</b>"
        )
        if c.total and not c.trainable:
            text += (
                f"<br><span style='color:{ERROR}'>Nothing would train: an optimizer given no trainable parameters "
                "raises <code>ValueError: optimizer got an empty parameter list</code>.</span>"
            )
        return text
