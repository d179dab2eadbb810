"""RecipeBuilder: pick the choices of a fine-tuning run and read (and save) the PyTorch script they make."""

import html
from pathlib import Path

import ipywidgets as ipw

from ..core import checks
from ..core.recipe import RECIPE_ARCHITECTURES, Recipe, recipe_code
from ..core.schedules import SCHEDULES
from .background import friendly


class RecipeBuilder(ipw.VBox):
    """Controls on the left, the generated script below; every change rewrites the script at once."""

    def __init__(self, recipe=Recipe(), save_as="my_finetune.py"):
        problems = recipe.problems()
        for name in ("head_lr", "backbone_lr"):  # a slider would move a value outside its range silently
            value = getattr(recipe, name)
            if not problems and not 1e-6 <= value <= 1:
                problems.append(f"{name} must be between 1e-06 and 1 on this slider; got {value:g}.")
        if problems:
            raise checks.SettingError(" ".join(problems))
        self.model = ipw.Dropdown(options=list(RECIPE_ARCHITECTURES), value=recipe.model, description="model")
        self.num_classes = ipw.BoundedIntText(value=recipe.num_classes, min=1, max=100_000, description="classes")
        self.unfreeze_last = ipw.IntSlider(value=recipe.unfreeze_last, min=0, description="unfreeze last")
        self.head_lr = ipw.FloatLogSlider(value=recipe.head_lr, base=10, min=-6, max=0, description="head LR")
        self.backbone_lr = ipw.FloatLogSlider(value=recipe.backbone_lr, base=10, min=-6, max=0, description="backbone LR")
        self.schedule = ipw.Dropdown(options=list(SCHEDULES), value=recipe.schedule, description="schedule")
        self.epochs = ipw.IntSlider(value=recipe.epochs, min=1, max=100, description="epochs")
        self.augment = ipw.Checkbox(value=recipe.augment, description="augment")
        self.save_path = ipw.Text(value=save_as, description="save as")
        self.save_button = ipw.Button(description="Save script", icon="download")
        self.message = ipw.HTML()
        self.code_view = ipw.HTML()
        self.code = ""

        self._sync_block_count()
        controls = [self.model, self.num_classes, self.unfreeze_last, self.head_lr, self.backbone_lr,
                    self.schedule, self.epochs, self.augment]
        for control in controls:
            control.observe(self._on_change, names="value")
        self.save_button.on_click(self._on_save)
        super().__init__(
            [
                ipw.HBox([ipw.VBox(controls[:4]), ipw.VBox(controls[4:])]),
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
            head_lr=self.head_lr.value,
            backbone_lr=self.backbone_lr.value,
            schedule=self.schedule.value,
            epochs=self.epochs.value,
            augment=self.augment.value,
        )

    def save(self, path=None):
        """Write the current script to ``path`` (default: the "save as" box) and return the path."""
        path = Path(path or self.save_path.value)
        path.write_text(self.code)
        return path

    def _sync_block_count(self):
        self.unfreeze_last.max = len(RECIPE_ARCHITECTURES[self.model.value].blocks)

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
            self.message.value = f"Saved to <code>{html.escape(str(path))}</code>. Run it with <code>python {html.escape(path.name)}</code>."

    def _render(self):
        recipe = self.recipe
        problems = recipe.problems()
        if problems:
            self.code = ""
            self.code_view.value = ""
            self.message.value = "<br>".join(f"⚠ {html.escape(p)}" for p in problems)
            return
        self.code = recipe_code(recipe)
        self.message.value = "<br>".join(f"💡 {html.escape(tip)}" for tip in recipe.advice())
        self.code_view.value = (
            "<pre style='font-size: 12px; line-height: 1.3; max-height: 420px; overflow: auto'>"
            f"{html.escape(self.code)}</pre>"
        )
