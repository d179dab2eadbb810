"""What the recipe builder needs to know about a timm model, read from timm itself: does the name exist, how does
timm split the model into blocks, and does it take a new input size.

timm describes every model's layout the same way: ``model.group_matcher(coarse=True)`` sorts its parameters into
the STEM, the BLOCKS (or stages) early to late, and the HEAD (the classifier, with what timm puts just before it in
some models: a last norm, a last convolution). ``timm.models.group_parameters`` turns that into groups of parameter
names, stem first, head last; timm's own layer-wise learning-rate decay reads the same description. The generated
script computes the groups again from the model it builds; the builder reads them here only to know how many
blocks there are to unfreeze and what they are called, from a model built on PyTorch's "meta" device (no memory,
no weights, no download).
"""

import difflib
import functools

#: how a recipe names a timm model: ``"timm:vit_small_patch16_224"``
PREFIX = "timm:"


def timm_name(model):
    """``"vit_small_patch16_224"`` for ``"timm:vit_small_patch16_224"``; ``None`` for a model that is not timm's."""
    return model[len(PREFIX) :] if isinstance(model, str) and model.startswith(PREFIX) else None


def _timm():
    import timm  # imported when a recipe first names a timm model: it takes a second

    return timm


def unknown(name):
    """Why timm cannot build ``name`` (a sentence with the nearest names timm has), or ``""`` when it can."""
    timm = _timm()
    if timm.is_model(name):
        return ""
    near = difflib.get_close_matches(name, timm.list_models(), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(PREFIX + n for n in near)}?" if near else ""
    return (f"timm has no model {name!r}.{hint} timm.list_models('*vit*') lists its models by pattern "
            f"(pretrained=True for those with weights).")


@functools.lru_cache(maxsize=32)
def _layout(name):
    """``(block labels early to late, takes img_size)`` of timm's ``name``, or the sentence saying why not."""
    import torch
    from timm.models import group_parameters

    try:
        with torch.device("meta"):  # the shapes only: no memory for the weights, nothing downloaded
            model = _timm().create_model(name, pretrained=False)
        matcher = model.group_matcher(coarse=True)
    except Exception as error:  # whatever keeps timm from describing a model is a message for the learner
        return f"timm's {name} cannot be split into blocks here ({type(error).__name__}: {str(error)[:120]})."
    groups = list(group_parameters(model, matcher).values())
    if len(groups) < 3:
        return f"timm's {name} has no blocks between its stem and its head: the recipe cannot unfreeze part of it."
    names = [n for n, _ in model.named_parameters()]
    labels = tuple(" + ".join(_parts(group, names)) for group in groups[1:-1])
    return labels, bool(model.pretrained_cfg.get("fixed_input_size", False))


def _parts(group, names):
    """The shortest module names that hold exactly the parameters of ``group`` (``blocks.11``, ``norm``)."""
    inside, parts = set(group), []
    for name in group:
        pieces = name.split(".")
        for end in range(1, len(pieces) + 1):
            prefix = ".".join(pieces[:end])
            if all(n in inside for n in names if n == prefix or n.startswith(prefix + ".")):
                if prefix not in parts:
                    parts.append(prefix)
                break
    return parts


def blocks(name):
    """timm's blocks of model ``name``, early to late, each named by its modules (``("blocks.0", ..., "blocks.11 +
    norm")``): the groups between the stem and the head. Raises ``ValueError`` with a sentence when there are none."""
    layout = _layout(name)
    if isinstance(layout, str):
        raise ValueError(layout)
    return layout[0]


def fixed_input_size(name):
    """Whether ``name`` is built for one input size (ViTs: their position embedding has one entry per patch), so
    that another size is passed to ``timm.create_model(..., img_size=...)``; CNNs read any size as they are."""
    layout = _layout(name)
    return not isinstance(layout, str) and layout[1]
