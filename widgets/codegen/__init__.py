"""The scripts the course writes for the learner: the PyTorch recipe (``recipe``) and the Keras side
(``keras_side``). ``widgets.codegen.keras_side`` is imported when first used."""


def __getattr__(name):
    import importlib

    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
