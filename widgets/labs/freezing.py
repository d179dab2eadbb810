"""Lesson 02's experiments: which blocks to freeze, where fine-tuning moves the weights and the features, and what
BatchNorm does to a model whose every weight is frozen.

Every run is the course model (or, as a control, a randomly initialised CourseCNN of the same shape) fine-tuned on
10 Digits-M images per digit for 40 steps, without augmentation; ``seed`` picks the training images, the new head's
(or the whole random model's) starting weights and the batch order. Runs are cached, so the claims that read the
same runs (the three fine-tunes, the drift meter, the feature similarity) pay for them once.
"""

import functools
from typing import NamedTuple

import torch

from ..engine import freezing, params, similarity
from ..engine.features import fast_predict
from ..engine.seeding import seeded
from ..engine.training import Trainer
from ..kit import data
from ..kit.course import BLOCKS, course_model
from ..kit.model import BACKBONE_BLOCKS, CourseCNN
from . import DEVICE, RUNS_KEPT, evidence, mean, pct
from .once import keep_for_the_session

STEPS = 40  # the three fine-tunes' order holds on every seed from 40 steps on (at 30 the head alone has not caught up)
ADAM = ("adam", 1e-3)  # the course's optimizer and rate for these runs
SGD = ("sgd", 1e-2)  # momentum 0.9, the Trainer's default
OPTIMIZERS = {"Adam, lr 1e-3": ADAM, "SGD, lr 1e-2": SGD}
#: lesson 02's three fine-tunes: what each one freezes
SETTINGS = {
    "everything trains": (),
    "conv1, conv2 frozen": BACKBONE_BLOCKS[:2],
    "only the head trains": BACKBONE_BLOCKS,
}
STARTS = ("pre-trained", "random init")


class Run(NamedTuple):
    accuracy: float  # on the Digits-M test set (nan when the run did not measure it)
    trainable: int  # parameters that trained
    drift: dict  # block -> ||w - w0|| / ||w0|| after the run
    similarity: dict  # conv block -> linear CKA of its features before vs after, on the probe images


@functools.lru_cache(maxsize=1)
def probe_images():
    """Every third Digits-M test image (299): the images whose features are compared before and after."""
    _, test = data.target_task(n_per_class=10, seed=0)
    return test.tensors()[0][::3]


def features(model):
    """``{conv block: its output for the probe images}``."""
    return similarity.block_features(model, probe_images(), BACKBONE_BLOCKS)


def grams(model):
    """``{conv block: centred Gram matrix of its features on the probe images}``: what linear CKA compares."""
    return {block: similarity.centred_gram(f) for block, f in features(model).items()}


@functools.lru_cache(maxsize=1)
def _pretrained_grams():
    # the pre-trained backbone's "before" is the same on every seed and with every optimizer: computed once
    return grams(course_model(num_classes=10))


def start_model(start, seed):
    """The pre-trained course model with a fresh 10-class head, or a randomly initialised CourseCNN (the control)."""
    if start == "pre-trained":
        return course_model(num_classes=10, seed=seed)
    with seeded(seed):
        return CourseCNN(num_classes=10)


def fine_tune(seed, start="pre-trained", frozen=(), optimizer=ADAM, steps=STEPS, test=True):
    """One run: its test accuracy (with ``test``), its weight drift and its feature similarity per block.

    ``optimizer``: ``(name, learning rate)``. Cached: asking again for the same run costs nothing.
    """
    return _fine_tune(seed, start, tuple(frozen), tuple(optimizer), steps, bool(test))


@functools.lru_cache(maxsize=RUNS_KEPT)
def _fine_tune(seed, start, frozen, optimizer, steps, test):
    train, test_set = data.target_task(n_per_class=10, seed=seed)
    model = start_model(start, seed)
    # feature similarity is read when everything trains; the pre-trained backbone's "before" is the same every seed
    before = None if frozen else _pretrained_grams() if start == "pre-trained" else grams(model)
    if frozen:
        freezing.freeze(model, *frozen)
    name, lr = optimizer
    trainer = Trainer(model, train, test_set if test else None, lr=lr, optimizer=name, augment=False, seed=seed,
                      device=DEVICE)
    history = trainer.fit(steps, eval_every=steps, eval_at_start=False)
    drift = {block: values[-1] for block, values in history.drift.items()}
    after = grams(model) if before is not None else {}
    cka = {b: similarity.cka_of_grams(before[b], after[b]) for b in after}
    return Run(history.final.get("val_acc", float("nan")), params.count_parameters(model).trainable, drift, cka)


def _runs(seeds, start="pre-trained", frozen=(), optimizer=ADAM):
    # test accuracy is read only where a lesson shows it: the pre-trained model with Adam
    return [fine_tune(seed, start, frozen, optimizer, test=start == "pre-trained" and optimizer == ADAM)
            for seed in seeds]


def _per_block(runs, field, blocks):
    return {block: [getattr(run, field)[block] for run in runs] for block in blocks}


def _rising(values):
    return all(a < b for a, b in zip(values, values[1:]))


def _order(found, blocks, k):
    """Block values of seed ``k`` in block order."""
    return [found[b][k] for b in blocks]


def _line(per_block, separator, digits):
    return separator.join(f"{b} {mean(v):.{digits}f}" for b, v in per_block.items())


# --- the three fine-tunes -----------------------------------------------------------------------------------


def three_fine_tunes(seeds=(0, 1, 2)):
    """Test accuracy of the three settings of lesson 02 (pre-trained, Adam 1e-3, 40 steps); the claim holds when,
    on every seed, training everything scores lowest and training only the head highest."""
    found = {name: [run.accuracy for run in _runs(seeds, frozen=frozen)] for name, frozen in SETTINGS.items()}
    everything, middle, head = found.values()
    holds = all(e < m < h for e, m, h in zip(everything, middle, head))
    summary = "; ".join(f"{name}: {pct(values)}" for name, values in found.items()) + f" ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, **found)


def trainable_counts(seed=0):
    """``{setting: parameters that train}`` (the same on every seed)."""
    return {name: fine_tune(seed, frozen=frozen).trainable for name, frozen in SETTINGS.items()}


# --- where the weights moved, and what happened to the features: each with its control -----------------------


def drift_by_start(seeds=(0, 1, 2)):
    """``{start: {block: [drift per seed]}}`` when everything trains with Adam: pre-trained, and random init."""
    return {start: _per_block(_runs(seeds, start), "drift", BLOCKS) for start in STARTS}


def similarity_by_start(seeds=(0, 1, 2)):
    """``{start: {conv block: [linear CKA before vs after, per seed]}}`` when everything trains with Adam."""
    return {start: _per_block(_runs(seeds, start), "similarity", BACKBONE_BLOCKS) for start in STARTS}


def drift_by_optimizer(seeds=(0, 1, 2)):
    """``{optimizer: {block: [drift per seed]}}`` for the pre-trained model, Adam (1e-3) and SGD (1e-2)."""
    return {name: _per_block(_runs(seeds, optimizer=opt), "drift", BLOCKS) for name, opt in OPTIMIZERS.items()}


def similarity_by_optimizer(seeds=(0, 1, 2)):
    """``{optimizer: {conv block: [linear CKA per seed]}}`` for the pre-trained model, Adam and SGD."""
    return {name: _per_block(_runs(seeds, optimizer=opt), "similarity", BACKBONE_BLOCKS)
            for name, opt in OPTIMIZERS.items()}


def _flat(found):
    return {f"{name} {block}": values for name, per_block in found.items() for block, values in per_block.items()}


def drift_order(seeds=(0, 1, 2)):
    """With Adam, drift rises from conv1 to the head in the pre-trained model AND in a random-init one (the control),
    on every seed: the order then cannot show what pre-training did."""
    found = drift_by_start(seeds)
    holds = all(_rising(_order(found[start], BLOCKS, k)) for start in STARTS for k in range(len(seeds)))
    summary = "; ".join(f"{start}: {_line(found[start], ' < ', 3)}" for start in STARTS)
    return evidence(holds, seeds, summary + f" (Adam 1e-3, mean of {len(seeds)} seeds)", **_flat(found))


def drift_with_sgd(seeds=(0, 1, 2)):
    """The same pre-trained runs with SGD (1e-2, momentum 0.9) instead of Adam (1e-3): the conv blocks' drift order
    reverses. Holds when, on every seed, Adam's is conv1 < conv2 < conv3 and SGD's conv1 > conv2 > conv3."""
    found = drift_by_optimizer(seeds)
    adam, sgd = found.values()
    holds = all(_rising(_order(adam, BACKBONE_BLOCKS, k)) and _rising(_order(sgd, BACKBONE_BLOCKS[::-1], k))
                for k in range(len(seeds)))
    summary = "; ".join(f"{name}: {_line(per_block, ', ', 3)}" for name, per_block in found.items())
    return evidence(holds, seeds, summary + f" (pre-trained, mean of {len(seeds)} seeds)", **_flat(found))


def feature_change(seeds=(0, 1, 2)):
    """Fine-tuned the same way (Adam), the pre-trained conv3 keeps its features better than a random-init conv3.

    Holds when, on every seed: the pre-trained conv3's CKA is above the random-init one's; conv1 keeps CKA above
    0.9 in both models; and in both models CKA falls from conv1 to conv2 to conv3.
    """
    found = similarity_by_start(seeds)
    pre, rnd = found["pre-trained"], found["random init"]
    holds = (all(p > r for p, r in zip(pre["conv3"], rnd["conv3"])) and min(pre["conv1"] + rnd["conv1"]) > 0.9
             and all(_rising(_order(f, BACKBONE_BLOCKS[::-1], k)) for f in (pre, rnd) for k in range(len(seeds))))
    summary = "; ".join(f"{start}: {_line(found[start], ' > ', 2)}" for start in STARTS)
    return evidence(holds, seeds, summary + f" (linear CKA before vs after, Adam, mean of {len(seeds)} seeds)",
                    **_flat(found))


def features_with_sgd(seeds=(0, 1, 2)):
    """Unlike the raw drift, the pre-trained model's feature similarity keeps one order under both optimizers:
    conv1 > conv2 > conv3 (the later the block, the more its features changed), on every seed."""
    found = similarity_by_optimizer(seeds)
    holds = all(_rising(_order(f, BACKBONE_BLOCKS[::-1], k)) for f in found.values() for k in range(len(seeds)))
    summary = "; ".join(f"{name}: {_line(per_block, ' > ', 2)}" for name, per_block in found.items())
    return evidence(holds, seeds, summary + f" (pre-trained, linear CKA, mean of {len(seeds)} seeds)", **_flat(found))


# --- BatchNorm: a model with every weight frozen still changes in train mode ------------------------------------

#: lesson 02's three ways of running images through the frozen letters model in train mode
BATCHNORM_SETTINGS = ("digits", "darker digits", "darker digits + freeze_batchnorm")
BATCHES = 20


@functools.lru_cache(maxsize=1)
def held_out_letters():
    """Every third held-out letter (334 images): the old task the letters model is measured on."""
    letters = data.source_test_set()
    return letters.subset(torch.arange(0, len(letters), 3), "held-out letters")


def letters_accuracy(model):
    """Accuracy on the held-out letters in eval mode, read the fast way (an inference copy with BatchNorm folded
    in, channels-last): the same answers; ``model`` itself is not touched."""
    x, y = held_out_letters().tensors()
    return (fast_predict(model, x).argmax(1) == y).float().mean().item()


@functools.lru_cache(maxsize=1)
def shipped_letters_accuracy():
    return letters_accuracy(course_model(num_classes=None))


@functools.lru_cache(maxsize=RUNS_KEPT)
def batchnorm_run(seed, setting):
    """``(statistics drift after each batch, letters accuracy, every weight unchanged)`` for one setting: the
    letters model (its original head), every parameter frozen, ``BATCHES`` batches of the seed's training digits
    (a third as bright for "darker") run through it in train mode, as a training loop would."""
    train, _ = data.target_task(n_per_class=10, seed=seed)
    images = data.normalize(train.images // 3) if "darker" in setting else train.tensors()[0]
    # channels-last: the forward passes take about half the time on a CPU; the statistics agree to float rounding
    images = images.contiguous(memory_format=torch.channels_last)
    model = freezing.freeze(course_model(num_classes=None)).to(memory_format=torch.channels_last)
    if "freeze_batchnorm" in setting:
        freezing.freeze_batchnorm(model)
    weights = [p.detach().clone() for p in model.parameters()]
    drift = params.batchnorm_drift(model, images, steps=BATCHES, seed=seed)
    unchanged = all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    return drift, letters_accuracy(model), unchanged


def _batchnorm(seeds):
    runs = {s: [batchnorm_run(seed, s) for seed in seeds] for s in BATCHNORM_SETTINGS}
    return ({s: [r[0][-1] for r in rs] for s, rs in runs.items()}, {s: [r[1] for r in rs] for s, rs in runs.items()},
            all(r[2] for rs in runs.values() for r in rs))


def batchnorm_curves(seeds=(0, 1, 2)):
    """``{setting: mean change of the running means after each batch}``, averaged over the seeds."""
    return {s: [mean(step) for step in zip(*(batchnorm_run(seed, s)[0] for seed in seeds))] for s in BATCHNORM_SETTINGS}


def batchnorm_in_train_mode(seeds=(0, 1, 2)):
    """Every weight frozen and unchanged, darker digits in train mode move the BatchNorm statistics more than three
    times as far as the plain digits and cost the letters accuracy more than a point below the shipped model's; the
    plain digits cost less than a point. On every seed."""
    drift, accuracy, unchanged = _batchnorm(seeds)
    shipped = shipped_letters_accuracy()
    holds = (unchanged and all(d > 3 * p > 0 for d, p in zip(drift["darker digits"], drift["digits"]))
             and max(accuracy["darker digits"]) < shipped - 0.01 and min(accuracy["digits"]) > shipped - 0.01)
    summary = (f"statistics moved by {mean(drift['digits']):.3f} (digits) and {mean(drift['darker digits']):.3f} "
               f"(darker digits); letters accuracy: shipped {shipped:.1%}, after digits {pct(accuracy['digits'])}, "
               f"after darker digits {pct(accuracy['darker digits'])} ({len(seeds)} seeds, no weight changed)")
    return evidence(holds, seeds, summary, **{f"accuracy {s}": v for s, v in accuracy.items()},
                    **{f"drift {s}": v for s, v in drift.items()})


def batchnorm_held(seeds=(0, 1, 2)):
    """The control: the same darker digits with ``freeze_batchnorm``: the statistics do not move at all and the
    letters accuracy is exactly the shipped model's, on every seed."""
    drift, accuracy, unchanged = _batchnorm(seeds)
    setting = "darker digits + freeze_batchnorm"
    holds = unchanged and all(batchnorm_run(seed, setting)[0] == [0.0] * BATCHES for seed in seeds) and \
        all(a == shipped_letters_accuracy() for a in accuracy[setting])
    summary = (f"with freeze_batchnorm: statistics moved by {max(drift[setting]):.3f}, letters accuracy "
               f"{pct(accuracy[setting])} (shipped {shipped_letters_accuracy():.1%}; {len(seeds)} seeds)")
    return evidence(holds, seeds, summary, accuracy=accuracy[setting], drift=drift[setting])


# --- ResNet18's parameters, as the FreezeExplorer counts them ------------------------------------------------------


def resnet18_counts(seeds=(0, 1, 2)):
    """ResNet18 with a new 10-class ``fc``: "head only" trains 5,130 of its 11,181,642 parameters, and its last two
    blocks with parameters are ``layer4`` and ``fc``. A count, not a training run: the same on every seed."""
    import torchvision

    found = []
    for seed in seeds:
        torch.manual_seed(seed)
        with torch.device("meta"):  # shapes only: counting needs no weights
            model = torchvision.models.resnet18(weights=None, num_classes=10)
        names = [name for name, part in params.blocks(model) if params.parameters_of(part)]
        freezing.freeze_exactly(model, names[:-1])
        head_only = params.count_parameters(model)
        freezing.freeze_exactly(model, names[:-2])
        found.append((head_only.trainable, head_only.total, tuple(names[-2:])))
    holds = all(f == (5130, 11_181_642, ("layer4", "fc")) for f in found)
    trainable, total, last_two = found[0]
    summary = (f"ResNet18 with a 10-class head: head only trains {trainable:,} of {total:,} parameters; the last two "
               f"blocks with parameters are {' and '.join(last_two)} (a count: the same on all {len(seeds)} seeds)")
    return evidence(holds, seeds, summary, trainable=[f[0] for f in found], total=[f[1] for f in found])


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
