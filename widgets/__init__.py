"""Fine-Tuning Lab: the Python package behind the course's lessons.

Layers, each with one job:

- ``widgets.core``: the logic, in plain PyTorch (no UI): counting and freezing parameters, the course's own
  pre-trained model and data, the trainer, learning-rate tools.
- ``widgets.figures``: plotly figure builders fed by the core.
- ``widgets.ui``: ipywidgets wiring only (``FreezeExplorer``, ``LRExplorer`` ...).
- ``widgets.modes``: the learning modes (recall cards, quizzes, challenges ...) fed by ``course/content``.

Everything public is importable from ``widgets`` directly. Names are imported lazily, so ``import widgets``
is instant and a lesson only pays for what it uses.
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it (relative to this package)
_EXPORTS = {
    # --- freezing lab: core.params, core.zoo, ui.freeze_explorer ---
    "count_parameters": ".core.params",
    "ParameterCount": ".core.params",
    "freeze": ".core.params",
    "unfreeze": ".core.params",
    "block_table": ".core.params",
    "freeze_batchnorm": ".core.params",
    "load_pretrained": ".core.zoo",
    "build_architecture": ".core.zoo",
    "ARCHITECTURES": ".core.zoo",
    "freeze_code": ".core.params",
    "batchnorm_drift": ".core.params",
    "replace_head": ".core.zoo",
    "FreezeExplorer": ".ui.freeze_explorer",
    "measure": ".core.zoo",
    "truncate": ".core.zoo",
    # --- offline kit: core.model, core.data, core.checkpoint ---
    "CourseCNN": ".core.model",
    "ImageSet": ".core.data",
    "source_dataset": ".core.data",
    "source_test_set": ".core.data",
    "target_task": ".core.data",
    "load_course_model": ".core.checkpoint",
    "course_model_info": ".core.checkpoint",
    "show_samples": ".figures.samples",
    # --- training engine and learning-rate lab: core.training, core.lr, ui.lr_explorer ---
    "Trainer": ".core.training",
    "History": ".core.training",
    "TrainingError": ".core.training",
    "evaluate": ".core.training",
    "lr_range_test": ".core.lr",
    "sweep": ".core.lr",
    "schedule_curve": ".core.lr",
    "SCHEDULES": ".core.lr",
    "LRExplorer": ".ui.lr_explorer",
    "LRFinder": ".ui.lr_explorer",
    "ScheduleExplorer": ".ui.lr_explorer",
    "DiscriminativeLR": ".ui.lr_explorer",
    "MetricsExplorer": ".ui.metrics_explorer",
    # --- learning modes: modes.* ---
    "RecallCards": ".modes.cards",
    "Quiz": ".modes.quiz",
    "Challenge": ".modes.challenge",
    "Practice": ".modes.practice",
    "Explain": ".modes.explain",
    "CheatSheet": ".modes.cheatsheet",
    "Progress": ".modes.progress",
    "ProgressDashboard": ".modes.progress",
    "ProgressStore": ".modes.store",
    "learning_modes": ".modes.lesson",
    "Diagnostic": ".modes.diagnostic",
    "SpacedReview": ".modes.review",
    "ClassReport": ".modes.class_report",
    "load_lesson_content": ".modes.content",
    # --- start here and capstone (lead): core.zoo, core.recipe, ui.recipe_builder ---
    "weights_status": ".core.zoo",
    "pick_device": ".core.training",
    "load_photos": ".core.photos",
    "Recipe": ".core.recipe",
    "recipe_code": ".core.recipe",
    "RecipeBuilder": ".ui.recipe_builder",
    # --- end of exports ---
}


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value  # cache: the next access is a plain attribute lookup
        return value
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = sorted(_EXPORTS)
