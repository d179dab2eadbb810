"""Fine-Tuning Lab: the Python package behind the course's lessons.

Rooms, each with one subject; imports go one way, down this list (``tests/test_architecture.py`` checks it):

- ``widgets.engine``: fine-tuning in plain PyTorch, no course data, no UI: checks, counting and freezing
  parameters, features, optimizers, schedules, hooks, the Trainer, sweeps, the LR finder.
- ``widgets.kit``: the course's offline world: its data, its pre-trained model and checkpoints, the model zoo,
  photos, measurements, the lessons' presets.
- ``widgets.labs``: one module per lesson with its runs and its claims (``course/claims.yaml`` names them).
- ``widgets.codegen``: the scripts the course writes for the learner (the recipe, the Keras side), and running
  one in a process of its own.
- ``widgets.figures``: plotly figure builders.
- ``widgets.ui``: ipywidgets wiring only (``FreezeExplorer``, ``LRExplorer`` ...).
- ``widgets.modes``: the learning modes (recall cards, quizzes, challenges ...), fed by the lesson content.

Everything public is importable from ``widgets`` directly. Names are imported lazily, so ``import widgets``
is instant and a lesson only pays for what it uses.
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it (relative to this package)
_EXPORTS = {
    # --- freezing lab ---
    "count_parameters": ".engine.params",
    "ParameterCount": ".engine.params",
    "freeze": ".engine.freezing",
    "unfreeze": ".engine.freezing",
    "freeze_exactly": ".engine.freezing",
    "freeze_batchnorm": ".engine.freezing",
    "train_mode": ".engine.freezing",
    "snapshot": ".engine.freezing",
    "block_table": ".engine.params",
    "freeze_code": ".engine.params",
    "batchnorm_drift": ".engine.params",
    "load_pretrained": ".kit.zoo",
    "build_architecture": ".kit.zoo",
    "ARCHITECTURES": ".kit.zoo",
    "replace_head": ".kit.zoo",
    "weights_status": ".kit.zoo",
    "measure": ".kit.measure",
    "truncate": ".kit.model",
    "FreezeExplorer": ".ui.freeze_explorer",
    # --- the course's offline kit ---
    "CourseCNN": ".kit.model",
    "ImageSet": ".kit.data",
    "normalize": ".kit.data",
    "source_dataset": ".kit.data",
    "source_test_set": ".kit.data",
    "target_task": ".kit.data",
    "target_validation_task": ".kit.data",
    "load_course_model": ".kit.checkpoint",
    "course_model_info": ".kit.checkpoint",
    "CheckpointError": ".kit.checkpoint",
    "OldTask": ".engine.forgetting",
    "old_task_accuracy": ".kit.course",
    "load_photos": ".kit.photos",
    "write_image_folder": ".kit.photos",
    # --- training engine and learning-rate lab ---
    "Trainer": ".engine.training",
    "History": ".engine.history",
    "SettingError": ".engine.checks",
    "TrainingError": ".engine.checks",
    "evaluate": ".engine.training",
    "pick_device": ".engine.training",
    "lr_range_test": ".engine.finder",
    "sweep": ".engine.sweep",
    "schedule_curve": ".engine.schedules",
    "layer_decay_rates": ".engine.layer_decay",
    "SCHEDULES": ".engine.schedules",
    "LRExplorer": ".ui.lr_explorer",
    "LRFinder": ".ui.lr_finder",
    "ScheduleExplorer": ".ui.schedule_explorer",
    "DiscriminativeLR": ".ui.discriminative_lr",
    "MetricsExplorer": ".ui.metrics_explorer",
    "TwoStartsLab": ".ui.two_starts",
    "link": ".ui.inputs",
    "StagePlanner": ".ui.stage_planner",
    "ModelChooser": ".ui.model_chooser",
    # --- the claims, measured again on the learner's machine ---
    "Reproduce": ".ui.reproduce",
    "evidence": ".ui.evidence",
    "progress_bar": ".labs.progress",
    # --- lesson 08: fine-tuning now (the course ViT, LoRA, the modern recipe) ---
    "CourseViT": ".kit.vit",
    "load_course_vit": ".kit.vit",
    "course_vit_info": ".kit.vit",
    "shifted_test_set": ".kit.shifted",
    "add_lora": ".engine.lora",
    "merge_lora": ".engine.lora",
    "unmerge_lora": ".engine.lora",
    "SpectrumLab": ".ui.spectrum",
    "spectrum_figure": ".figures.now",
    "in_and_out_figure": ".figures.now",
    # --- figures a lesson draws itself ---
    "show_samples": ".figures.samples",
    "show_images": ".figures.samples",
    "show_filters": ".figures.samples",
    "show_feature_maps": ".figures.samples",
    "seeds_figure": ".figures.transfer",
    "labels_curve_figure": ".figures.transfer",
    "stages_figure": ".figures.transfer",
    "drift_figure": ".figures.drift",
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
    "Progress": ".modes.dashboard",
    "ProgressDashboard": ".modes.dashboard",
    "ProgressStore": ".modes.progress.store",
    "learning_modes": ".modes.lesson",
    "Diagnostic": ".modes.diagnostic",
    "SpacedReview": ".modes.review",
    "ClassReport": ".modes.class_report",
    "load_lesson_content": ".modes.content",
    # --- the lessons' one-line checks ---
    "check": ".checking",
    "CheckFailed": ".checking",
    # --- capstone ---
    "Recipe": ".codegen.recipe",
    "recipe_code": ".codegen.recipe",
    "run_script": ".codegen.script_run",
    "ScriptRun": ".codegen.script_run",
    "ScriptError": ".codegen.script_run",
    "RecipeBuilder": ".ui.recipe_builder",
    # --- lessons 02 and 03: per-block measures and recipes over seeds ---
    "per_block_figure": ".figures.drift",
    "recipes_figure": ".figures.recipes",
    "accuracy_by_stage_figure": ".figures.recipes",
    # --- end of exports ---
}

#: whole rooms a lesson uses by name: ``widgets.labs.transfer.starts(...)``,
#: ``widgets.codegen.keras_side.keras_code(...)``
_MODULES = {
    "labs": ".labs",
    "codegen": ".codegen",
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
