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
    # --- freezing lab: core.freezing, core.params, core.zoo, core.measure, ui.freeze_explorer ---
    "count_parameters": ".core.params",
    "ParameterCount": ".core.params",
    "freeze": ".core.freezing",
    "unfreeze": ".core.freezing",
    "freeze_exactly": ".core.freezing",
    "freeze_batchnorm": ".core.freezing",
    "train_mode": ".core.freezing",
    "snapshot": ".core.freezing",
    "block_table": ".core.params",
    "freeze_code": ".core.params",
    "batchnorm_drift": ".core.params",
    "load_pretrained": ".core.zoo",
    "build_architecture": ".core.zoo",
    "ARCHITECTURES": ".core.zoo",
    "replace_head": ".core.zoo",
    "weights_status": ".core.zoo",
    "measure": ".core.measure",
    "truncate": ".core.model",
    "FreezeExplorer": ".ui.freeze_explorer",
    # --- offline kit: core.model, core.data, core.checkpoint, core.course, core.photos ---
    "CourseCNN": ".core.model",
    "ImageSet": ".core.data",
    "normalize": ".core.data",
    "source_dataset": ".core.data",
    "source_test_set": ".core.data",
    "target_task": ".core.data",
    "target_validation_task": ".core.data",
    "load_course_model": ".core.checkpoint",
    "course_model_info": ".core.checkpoint",
    "CheckpointError": ".core.checkpoint",
    "OldTask": ".core.forgetting",
    "old_task_accuracy": ".core.course",
    "load_photos": ".core.photos",
    "write_image_folder": ".core.photos",
    # --- training engine and learning-rate lab: core.training, core.finder, core.sweep, core.schedules, ui.* ---
    "Trainer": ".core.training",
    "History": ".core.history",
    "SettingError": ".core.checks",
    "TrainingError": ".core.checks",
    "evaluate": ".core.training",
    "pick_device": ".core.training",
    "lr_range_test": ".core.finder",
    "sweep": ".core.sweep",
    "schedule_curve": ".core.schedules",
    "SCHEDULES": ".core.schedules",
    "LRExplorer": ".ui.lr_explorer",
    "LRFinder": ".ui.lr_finder",
    "ScheduleExplorer": ".ui.schedule_explorer",
    "DiscriminativeLR": ".ui.discriminative_lr",
    "MetricsExplorer": ".ui.metrics_explorer",
    # --- figures a lesson draws itself ---
    "show_samples": ".figures.samples",
    "show_images": ".figures.samples",
    "show_filters": ".figures.samples",
    "show_feature_maps": ".figures.samples",
    "seeds_figure": ".figures.transfer",
    "labels_curve_figure": ".figures.transfer",
    "stages_figure": ".figures.transfer",
    "drift_figure": ".figures.transfer",
    "batchnorm_drift_figure": ".figures.freezing",
    "model_comparison_figure": ".figures.models",
    "training_bill_figure": ".figures.models",
    "model_diagram": ".figures.model_diagram",
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
    # --- the lessons' one-line checks ---
    "check": ".checking",
    "CheckFailed": ".checking",
    # --- capstone: core.recipe, ui.recipe_builder ---
    "Recipe": ".core.recipe",
    "recipe_code": ".core.recipe",
    "run_script": ".core.recipe",
    "RecipeBuilder": ".ui.recipe_builder",
    # --- end of exports ---
}

#: whole modules a lesson uses by name: ``widgets.transfer.compare(...)``, ``widgets.keras_side.keras_code(...)``
_MODULES = {
    "transfer": ".core.transfer",
    "keras_side": ".core.keras_side",
    "experiments": ".experiments",
}


def __getattr__(name):
    if name in _MODULES:
        value = import_module(_MODULES[name], __name__)
        globals()[name] = value
        return value
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value  # cache: the next access is a plain attribute lookup
        return value
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | set(_MODULES))


__all__ = sorted(set(_EXPORTS) | set(_MODULES))
