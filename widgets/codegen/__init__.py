"""The scripts the course writes for the learner: the PyTorch recipe (``recipe``, which fills in the script in
``recipe_template.py``: a template, never imported) and the Keras side (``keras_side``); ``script_run`` runs a
script in a process of its own. ``widgets.codegen.keras_side`` is imported when first used."""


def __getattr__(name):
    import importlib

    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
