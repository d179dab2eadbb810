"""RecipeBuilder: pick the choices of a fine-tuning run and read (and save) the PyTorch script they make.

Stage one (the head alone) and stage two (the last blocks and the head) get their own epochs; with nothing to
unfreeze there is no stage two, and its boxes are greyed out. The model box offers the course CNN and ViT,
torchvision's models and a few of timm's, and takes any timm model typed as ``timm:<name>`` (a name timm does not
know is a message, with the nearest names it does). The modern optimizer sets the blocks' rates itself (layer-wise
decay under the head rate) and its own schedule, so the backbone rate and the schedule are greyed out with it.
"""

import html
from pathlib import Path

import ipywidgets as ipw

from ..codegen.recipe import OPTIMIZERS, RECIPE_ARCHITECTURES, TIMM_SUGGESTIONS, Recipe, architecture, recipe_code
from ..engine import checks
from ..engine.schedules import SCHEDULES
from .inputs import code_view, rate_box, whole_box
from .messages import friendly


def _number(text):
    """Typed text as a number when it is one; otherwise the text, for the recipe's checks to name."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


#: the builder's starting choices when none are given (a Recipe is frozen, so one instance serves every builder)
_DEFAULT_RECIPE = Recipe()


class RecipeBuilder(ipw.VBox):
    """Controls on the left, the generated script below; every change rewrites the script at once."""

    def __init__(self, recipe=_DEFAULT_RECIPE, save_as="my_finetune.py"):
        problems = recipe.problems()
        if problems:
            raise checks.SettingError(" ".join(problems))
        # a box to type in as well as a list: any timm model is "timm:<name>"; checked when the learner is done typing
        self.model = ipw.Combobox(options=[*RECIPE_ARCHITECTURES, *TIMM_SUGGESTIONS], value=recipe.model,
                                  description="model", ensure_option=False, continuous_update=False,
                                  placeholder="resnet18, course_vit or timm:<name>")
        self.num_classes = ipw.BoundedIntText(value=recipe.num_classes, min=1, max=100_000, description="classes")
        blocks = len(architecture(recipe.model).blocks)
        self.unfreeze_last = whole_box("unfreeze last", recipe.unfreeze_last, 0, blocks)
        self.optimizer = ipw.Dropdown(options=OPTIMIZERS, value=recipe.optimizer, description="optimizer")
        self.image_size = recipe.image_size  # timm models only; set from code (no box: the weights' size is right)
        self.head_lr = rate_box("head LR", recipe.head_lr)
        self.backbone_lr = rate_box("backbone LR", recipe.backbone_lr)
        self.schedule = ipw.Dropdown(options=list(SCHEDULES), value=recipe.schedule, description="schedule")
        self.head_epochs = whole_box("stage 1 epochs", recipe.head_epochs, 1, 100)
        self.epochs = whole_box("stage 2 epochs", recipe.epochs, 1, 100)
        self.patience = whole_box("patience", recipe.patience, 1, 100)
        self.augment = ipw.Checkbox(value=recipe.augment, description="augment")
        self.save_path = ipw.Text(value=save_as, description="save as")
        self.save_button = ipw.Button(description="Save script", icon="download")
        self.message = ipw.HTML()
        self.code_view = ipw.HTML()
        self.code = ""

        self._sync_block_count()
        controls = [self.model, self.num_classes, self.unfreeze_last, self.head_lr, self.backbone_lr,
                    self.optimizer, self.schedule, self.head_epochs, self.epochs, self.patience, self.augment]
        for control in controls:
            control.observe(self._on_change, names="value")
        self.save_button.on_click(self._on_save)
        super().__init__(
            [
                ipw.HBox([ipw.VBox(controls[:5]), ipw.VBox(controls[5:])]),
                ipw.HBox([self.save_path, self.save_button]),
                self.message,
                self.code_view,
            ]
        )
        self._render()

    @property
    def recipe(self):
        return Recipe(
            model=self.model.value,
            num_classes=self.num_classes.value,
            unfreeze_last=self.unfreeze_last.value,
            head_lr=_number(self.head_lr.value),
            backbone_lr=_number(self.backbone_lr.value),
            schedule=self.schedule.value,
            head_epochs=self.head_epochs.value,
            epochs=self.epochs.value,
            patience=self.patience.value,
            augment=self.augment.value,
            optimizer=self.optimizer.value,
            image_size=self.image_size,
        )

    def save(self, path=None):
        """Write the current script to ``path`` (default: the "save as" box) and return the path."""
        path = Path(path or self.save_path.value)
        path.write_text(self.code)
        return path

    def _sync_block_count(self):
        try:
            blocks = len(architecture(self.model.value.strip()).blocks)
        except ValueError:
            return  # no such model: the recipe's problems say so, and the box keeps its range
        self.unfreeze_last.max = blocks

    def _on_change(self, change):
        try:
            if change["owner"] is self.model:
                self._sync_block_count()  # clamps unfreeze_last, which calls back here once more
            self._render()
        except Exception as error:  # a value set from code (NaN on a slider ...) is a message, not a traceback
            self.code = ""
            self.code_view.value = ""
            self.message.value = f"⚠ {html.escape(friendly(error))}"

    def _on_save(self, _button):
        if not self.code:
            self.message.value = "<b>Nothing to save:</b> fix the choices above first."
            return
        try:
            path = self.save()
        except OSError as error:
            self.message.value = f"<b>Could not save:</b> {html.escape(str(error))}"
        else:
            self.message.value = (f"Saved to <code>{html.escape(str(path))}</code>. "
                                  f"Run it with <code>python {html.escape(path.name)}</code>.")

    def _render(self):
        if self.model.value != self.model.value.strip():
            self.model.value = self.model.value.strip()  # " timm:x " typed or pasted: calls back here once more
            return
        recipe = self.recipe
        modern = recipe.optimizer == "modern"
        self.epochs.disabled = not self.unfreeze_last.value  # no stage two
        self.backbone_lr.disabled = modern or not self.unfreeze_last.value  # layer-wise decay sets the blocks' rates
        self.schedule.disabled = modern  # warm-up, then cosine
        problems = recipe.problems()
        if problems:
            self.code = ""
            self.code_view.value = ""
            self.message.value = "<br>".join(f"⚠ {html.escape(p)}" for p in problems)
            return
        self.code = recipe_code(recipe)
        self.message.value = "<br>".join(f"💡 {html.escape(tip)}" for tip in recipe.advice())
        self.code_view.value = code_view(self.code, max_height=420)
