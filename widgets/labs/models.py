"""Lesson 05's experiments: what a model costs, measured here, and which of two course models is more accurate.

Counts (parameters, file size, multiply-adds) are the same on every machine and for any weights; the experiments
still build each model from several random seeds, to show that. Timings are never a claim: the one experiment
about them only says that they move from repeat to repeat. The accuracy experiment compares two sizes of the
course model, each trained the same way, on several seeds.
"""

import functools

import torch

from ..engine.checks import SettingError
from ..engine.freezing import freeze
from ..engine.seeding import seeded
from ..engine.training import Trainer, evaluate
from ..kit import data
from ..kit.checkpoint import load_course_model
from ..kit.measure import counts, file_size, measure, multiply_adds, release_memory, timings
from ..kit.model import BACKBONE_BLOCKS, CourseCNN, truncate
from ..kit.zoo import ARCHITECTURES, build_architecture
from . import DEVICE, RUNS_KEPT, evidence, pct, transfer
from .once import keep_for_the_session

SEEDS = (0, 1, 2)
NAMES = ("mobilenet_v2", "efficientnet_b0", "resnet18", "resnet50", "resnet152")
#: the parameters torchvision's documentation lists for each model (with its 1000-class head), in millions
TORCHVISION_MILLIONS = {"mobilenet_v2": 3.5, "efficientnet_b0": 5.3, "resnet18": 11.7, "resnet50": 25.6,
                        "resnet152": 60.2}
N_IMAGES = 500  # the dataset the lesson chooses a model for
PROBE_STEPS = 150
#: the new head's rate in this lesson's probes (what ``transfer.tune("probe", steps=100)`` picked on the validation
#: split, seeds 0-2; lesson 01, at 50 steps, picks 1e-2)
PROBE_LR = 3e-3


@functools.lru_cache(maxsize=RUNS_KEPT)
def saved(name, seeds):
    """``[(parameters, file size in bytes)]`` of ``name``, one per seed: the model is built with torchvision's
    random init from the first seed, then every weight and buffer is drawn again from each further seed (a
    rebuild would cost seconds for ResNet152 and draw the same kind of numbers)."""
    found = []
    with seeded(seeds[0]):
        model = build_architecture(name)
        for i, seed in enumerate(seeds):
            if i:
                torch.manual_seed(seed)
                with torch.no_grad():
                    for tensor in model.state_dict().values():
                        if tensor.is_floating_point():
                            tensor.normal_(0.0, 0.1)
            found.append((sum(p.numel() for p in model.parameters()), file_size(model)))
    del model
    release_memory()  # up to 235 MB (ResNet152): give it back before the next model is built
    return found


def costs(seeds=SEEDS, names=NAMES):
    """Parameters, file size and multiply-adds per image of each model, for every seed's random weights. Holds
    when every file takes between 4.0 and 4.1 bytes per parameter and no size or count changes with the weights."""
    values = {}
    for name in names:
        runs = saved(name, tuple(seeds))
        values[f"{name} parameters"] = [p for p, _ in runs]
        values[f"{name} bytes"] = [b for _, b in runs]
        values[f"{name} bytes per parameter"] = [b / p for p, b in runs]
        values[f"{name} multiply-adds"] = [counts(name)[1]] * len(seeds)
    ratios = [r for name in names for r in values[f"{name} bytes per parameter"]]
    same = all(len(set(values[f"{name} {what}"])) == 1 for name in names for what in ("parameters", "bytes"))
    summary = (f"{len(names)} models, {len(seeds)} random weights each: {min(ratios):.3f} to {max(ratios):.3f} bytes "
               f"per parameter on disk; sizes and counts {'identical' if same else 'NOT identical'} across weights")
    return evidence(same and all(4.0 <= r < 4.1 for r in ratios), seeds, summary, **values)


def parameter_counts(seeds=SEEDS, names=NAMES):
    """The parameter counts: MobileNetV2 3.5 M (the fewest), EfficientNet-B0 5.3 M, ResNet18 11.7 M (3.3 times
    MobileNetV2), ResNet50 25.6 M, ResNet152 60.2 M (the most), as torchvision lists them."""
    millions = {name: [p / 1e6 for p, _ in saved(name, tuple(seeds))] for name in names}
    first = {name: m[0] for name, m in millions.items()}
    ratio = first["resnet18"] / first["mobilenet_v2"]
    holds = (all(round(m, 1) == TORCHVISION_MILLIONS[name] for name, ms in millions.items() for m in ms)
             and min(first, key=first.get) == "mobilenet_v2" and max(first, key=first.get) == "resnet152"
             and round(ratio, 1) == 3.3)
    summary = ("parameters: " + ", ".join(f"{name} {m:.1f} M" for name, m in first.items())
               + f"; ResNet18 / MobileNetV2 = {ratio:.1f} ({len(seeds)} random weights each)")
    return evidence(holds, seeds, summary, **{name: m for name, m in millions.items()})


def compute_vs_parameters(seeds=SEEDS):
    """Multiply-adds do not follow the parameter count: ResNet18 has 3.3 times MobileNetV2's parameters but 6
    times its multiply-adds; ResNet152 has 17 times its parameters and 38 times its multiply-adds (MobileNetV2:
    0.3 G per image); cutting the course model after conv2 removes over 70% of its parameters but under half of
    its multiply-adds."""
    big, small = [], []
    for seed in seeds:
        with seeded(seed):
            full = CourseCNN()
            cut = truncate(CourseCNN(), "conv2")
        x = torch.zeros(1, 3, 32, 32)
        big.append((sum(p.numel() for p in full.parameters()), multiply_adds(full.eval(), x)))
        small.append((sum(p.numel() for p in cut.parameters()), multiply_adds(cut.eval(), x)))
    fewer_params = [1 - s[0] / b[0] for b, s in zip(big, small)]
    fewer_macs = [1 - s[1] / b[1] for b, s in zip(big, small)]
    (pm, mm), (p18, m18), (p152, m152) = counts("mobilenet_v2"), counts("resnet18"), counts("resnet152")
    summary = (f"MobileNetV2: {mm / 1e9:.2f} G multiply-adds per image; ResNet18: {p18 / pm:.1f}x its parameters, "
               f"{m18 / mm:.1f}x its multiply-adds; ResNet152: {p152 / pm:.1f}x and {m152 / mm:.1f}x; the course "
               f"model cut after conv2: {fewer_params[0]:.0%} fewer parameters, {fewer_macs[0]:.0%} fewer "
               f"multiply-adds ({len(seeds)} random inits)")
    holds = (round(p18 / pm, 1) == 3.3 and round(m18 / mm) == 6 and round(p152 / pm) == 17
             and round(m152 / mm) == 38 and round(mm / 1e9, 1) == 0.3
             and all(p > 0.7 for p in fewer_params) and all(m < 0.5 for m in fewer_macs))
    return evidence(holds, seeds, summary, fewer_parameters=fewer_params, fewer_multiply_adds=fewer_macs)


def train_step_cost(seeds=SEEDS, names=("resnet18", "resnet50", "resnet152")):
    """A training step (forward and backward) costs about 3 forward passes: between 2.8 and 3.1 times the
    multiply-adds of a forward pass, for the ResNets (counted by PyTorch's FlopCounterMode, on the meta device)."""
    from torch.utils.flop_counter import FlopCounterMode

    ratios = {}
    for name in names:
        with torch.device("meta"):
            model = build_architecture(name)
            x = torch.zeros(1, 3, 224, 224)
        forward = multiply_adds(model.eval(), x)
        model.train()
        with FlopCounterMode(display=False) as counter:
            model(x).sum().backward()
        ratios[name] = [counter.get_total_flops() / 2 / forward] * len(seeds)  # a count: the same for any seed
    every = [r for rs in ratios.values() for r in rs]
    summary = ("training step / forward pass, multiply-adds: "
               + ", ".join(f"{name} {rs[0]:.2f}" for name, rs in ratios.items()))
    return evidence(all(2.8 <= r <= 3.1 for r in every), seeds, summary, **ratios)


def same_costs_any_weights(seeds=SEEDS):
    """Parameters, file size and multiply-adds depend on the architecture, not on the weights' values: the
    pre-trained course model and random ones (one per seed) give the same three numbers."""
    x = torch.zeros(1, 3, 32, 32)

    def three(model):
        return sum(p.numel() for p in model.parameters()), file_size(model), multiply_adds(model.eval(), x)

    pretrained = three(load_course_model())
    random = []
    for seed in seeds:
        with seeded(seed):
            random.append(three(CourseCNN(num_classes=26)))
    summary = (f"pre-trained course model: {pretrained[0]:,} parameters, {pretrained[1]:,} bytes, "
               f"{pretrained[2]:,} multiply-adds; {len(seeds)} random ones: "
               f"{'the same' if all(r == pretrained for r in random) else 'DIFFERENT'}")
    return evidence(all(r == pretrained for r in random), seeds, summary,
                    random_bytes=[r[1] for r in random], pretrained_bytes=[pretrained[1]] * len(seeds))


def timings_vary(seeds=SEEDS, repeats=5):
    """The same forward pass, timed ``repeats`` times in a row, never takes exactly the same time: on every
    round (one per seed), the slowest repeat is slower than the fastest."""
    model = load_course_model().eval()
    x = torch.zeros(1, 3, 32, 32)
    slowest_over_fastest = []
    with torch.inference_mode():
        for _ in seeds:
            times = timings(lambda: model(x), repeats)
            slowest_over_fastest.append(max(times) / min(times))
    summary = (f"one course-model pass, {repeats} repeats, {len(seeds)} rounds: the slowest repeat took "
               f"{min(slowest_over_fastest):.2f} to {max(slowest_over_fastest):.2f} times the fastest")
    return evidence(all(r > 1.0 for r in slowest_over_fastest), seeds, summary,
                    slowest_over_fastest=slowest_over_fastest)


@functools.lru_cache(maxsize=RUNS_KEPT)
def _probe(cut, seed, n_per_class=N_IMAGES // 10, steps=PROBE_STEPS):
    """Test accuracy of a new head on the frozen course model (``cut``: only its first two blocks)."""
    train, test = data.target_task(n_per_class=n_per_class, seed=seed)
    with seeded(seed):
        net = truncate(load_course_model(), "conv2") if cut else load_course_model(num_classes=10)
    freeze(net, *[b for b in BACKBONE_BLOCKS if hasattr(net, b)])
    Trainer(net, train, lr=PROBE_LR, seed=seed, augment=False, device=DEVICE).fit(steps, eval_every=0)
    return evaluate(net, test, transfer.EVAL_BATCH_SIZE)


def deeper_course_model(seeds=SEEDS):
    """With 500 training images (50 per digit) and the same head training, the full course model (three conv
    blocks) is more accurate on the test set than the model cut after conv2, by more than 10 points on every
    seed."""
    full = [_probe(False, seed) for seed in seeds]
    cut = [_probe(True, seed) for seed in seeds]
    lead = [f - c for f, c in zip(full, cut)]
    summary = (f"500 training images, a new head on frozen blocks: 3 conv blocks {pct(full)}, cut after conv2 "
               f"{pct(cut)}; lead {100 * min(lead):.0f} to {100 * max(lead):.0f} points ({len(seeds)} seeds)")
    return evidence(all(g > 0.10 for g in lead), seeds, summary, full=full, cut=cut, lead=lead)


def accuracy_of(seeds=SEEDS):
    """``{name: [test accuracy per seed]}`` of the two course models (what the lesson charts)."""
    return {"course model (3 conv blocks)": [_probe(False, s) for s in seeds],
            "course model cut after conv2": [_probe(True, s) for s in seeds]}


def _features_around_head_training(seed, steps, **trainer_options):
    """The frozen backbone's features of the training images (eval mode) before and after ``steps`` of training a
    new head on it, and the Trainer that trained it."""
    train, _ = data.target_task(n_per_class=10, seed=seed)
    with seeded(seed):
        model = load_course_model(num_classes=10)
    freeze(model, *BACKBONE_BLOCKS)
    x, _ = train.tensors()
    # the Trainer first: on a CPU it lays the weights out channels-last, which moves the features by float rounding
    trainer = Trainer(model, train, lr=PROBE_LR, seed=seed, augment=False, device=DEVICE, **trainer_options)
    with torch.no_grad():
        before = model.eval().features(x)
    trainer.fit(steps, eval_every=0)
    with torch.no_grad():
        after = model.eval().features(x)
    return before, after, trainer


def frozen_features_once(seeds=SEEDS, steps=30):
    """A frozen backbone in eval mode gives the same features at every step, so computing them once is exact:
    after training a head, the backbone's features are bit for bit those it gave before (every seed)."""
    same = []
    for seed in seeds:
        before, after, trainer = _features_around_head_training(seed, steps)
        same.append(float(torch.equal(before, after) and trainer.cache_depth() == len(BACKBONE_BLOCKS) + 1))
    summary = (f"frozen backbone, {steps} steps of head training: features unchanged and computed once on "
               f"{int(sum(same))} of {len(seeds)} seeds")
    return evidence(all(same), seeds, summary, unchanged=same)


def frozen_in_train_mode_drifts(seeds=SEEDS, steps=30):
    """Control: the same frozen backbone left in TRAIN mode (``eval_frozen=False``) changes its features, because
    BatchNorm keeps updating its running statistics from every batch although nothing trains."""
    moved = []
    for seed in seeds:
        before, after, _ = _features_around_head_training(seed, steps, eval_frozen=False)
        moved.append((after - before).abs().max().item())
    summary = (f"control: the frozen backbone in train mode, {steps} steps: features moved by up to "
               f"{min(moved):.3f} to {max(moved):.3f} ({len(seeds)} seeds)")
    return evidence(all(m > 1e-3 for m in moved), seeds, summary, largest_change=moved)



# --- the model chooser (lesson 05's Try it): any model, measured here ----------------------------------------------

#: the ModelChooser's two pre-trained course models (name -> cut after conv2): their head-only accuracy on the new
#: task is measured (``_probe``), unlike the zoo's torchvision models, built with random weights
COURSE_MODELS = {"course model (3 conv blocks)": False, "course model cut after conv2": True}
#: then torchvision's (the course ViT is lesson 08's: its own chooser is the SpectrumLab)
CHOICES = (*COURSE_MODELS, *(name for name in ARCHITECTURES if not name.startswith("course")))
#: image sizes a chooser offers besides each model's own (32 for the course models, 224 for ImageNet ones)
IMAGE_SIZES = (32, 64, 128, 224)
ONLY_224 = ("vit_b_16",)  # its position embeddings are made for 224 x 224 pixels and nothing else


def build_choice(name, device=None):
    """The model called ``name`` in :data:`CHOICES`: a pre-trained course model with a fresh 10-digit head (seed
    0), or a torchvision architecture with random weights (no download; on ``device="meta"``, no weights at all)."""
    if name in COURSE_MODELS:
        with seeded(0):
            model = load_course_model(num_classes=10)
            return truncate(model, "conv2") if COURSE_MODELS[name] else model
    with torch.device(device or "cpu"):
        return build_architecture(name)


def choice_image_size(name, image_size=None):
    """The side in pixels ``name`` is measured at: ``image_size``, or the model's own (32 or 224)."""
    own = 32 if name in COURSE_MODELS else 224
    if image_size not in (None, own) and name in ONLY_224:
        raise SettingError(f"{name} reads 224 x 224 images only; got {image_size}.")
    return image_size or own


def choice_parameters(name):
    """How many numbers ``name`` learns, counted on a weightless (meta) copy: instant, even for ViT-B/16."""
    return sum(p.numel() for p in build_choice(name, device="meta").parameters())


def choice_multiply_adds(name, image_size=None):
    """Multiply-adds of one image's forward pass at ``image_size`` (the model's own by default), counted on meta."""
    side = choice_image_size(name, image_size)
    model = build_choice(name, device="meta")  # a course model is small enough to be built for real
    x = torch.zeros(1, 3, side, side, device=next(model.parameters()).device)
    return multiply_adds(model.eval(), x)


def choice_costs(name, image_size=None, batch_size=1, repeats=5):
    """:func:`~widgets.kit.measure.measure` of ``name`` here, on one CPU thread: parameters, size on disk, and the
    latency of every repeat (``latency_runs_ms``: report the fastest and the median). The model is freed after."""
    stats = measure(build_choice(name), choice_image_size(name, image_size), batch_size, repeats, threads=1)
    release_memory()
    return stats


def head_only_accuracy(name, seeds=SEEDS):
    """Digits test accuracy per seed of a new head trained on ``name``'s frozen blocks (a course model; 500
    images, :data:`PROBE_STEPS` steps): what :func:`deeper_course_model` compares."""
    return [_probe(COURSE_MODELS[name], seed) for seed in seeds]


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
