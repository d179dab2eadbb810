"""Lesson 06 (reading the metrics): regressions for what issue 11 found, cheap (tiny model, easy data).

The lesson's measured claims run under ``pytest -m claims`` (course/claims.yaml); these tests pin what they rest
on: early stopping read after the best weights are restored, a remedy that changes one thing only, remedies
compared over seeds (never ranked by one run), honest text about the validation loss, no ``next(...)`` that can
raise.
"""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

from widgets import CourseCNN
from widgets.engine.hooks import early_stopping_point
from widgets.labs import metrics
from widgets.labs.metrics import PATIENCE, as_early_stopped, train_run

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "course" / "06_reading_the_metrics.ipynb"
CONTENT = yaml.safe_load(
    (ROOT / "widgets" / "modes" / "content" / "lessons" / "06_reading_the_metrics.yaml").read_text(encoding="utf-8"))


def task(n_per_class, classes=4, seed=0):
    def make(n, s):
        g = torch.Generator().manual_seed(s)
        y = torch.arange(n * classes) % classes
        x = torch.randn(n * classes, 3, 32, 32, generator=g) * 2.0
        x[:, 0] += (y.float() - classes / 2)[:, None, None] * 0.3
        return x, y

    return make(n_per_class, seed), make(30, seed + 100)


def factory():
    torch.manual_seed(0)
    return CourseCNN(num_classes=4, width=8)


def _run(**remedy):
    return train_run(5, 20, 3e-3, 0, model_factory=factory, task=task, **remedy)


def _code():
    cells = json.loads(LESSON.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _prose():
    cells = json.loads(LESSON.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


# --- item 4: early stopping is read after the best weights are restored ---------------------------------------


def test_the_stopping_rule_needs_a_strictly_better_accuracy():
    assert early_stopping_point([0.5, 0.6, 0.6, 0.55], 2) == (3, 1)
    assert early_stopping_point([0.5, 0.6, 0.7, 0.8], 2) is None


def test_early_stopping_keeps_the_model_read_off_the_curve_and_reports_it():
    plain = _run(evaluations=10)
    stopped = _run(evaluations=10, early_stopping=True)
    stop, kept = as_early_stopped(plain, PATIENCE)
    assert stopped.final["val_acc"] == pytest.approx(kept["val_acc"])  # the restored best, not val_acc[-1]
    if stop is None:
        assert stopped.status != "early-stopped" and kept["step"] == plain.final["step"]
    else:
        assert stopped.status == "early-stopped" and stopped.final["step"] == kept["step"]


# --- item 4: the freeze remedy changes one thing --------------------------------------------------------------


def test_each_remedy_keeps_the_baselines_rate_and_batches():
    base, frozen = _run(evaluations=1), _run(evaluations=1, freeze_backbone=True)
    assert frozen.lr == base.lr == [pytest.approx(3e-3)] * 20
    decayed = _run(evaluations=1, weight_decay=True)
    assert decayed.lr == base.lr


# --- item 4: remedies are compared over seeds, never ranked by one run --------------------------------------


def test_remedies_are_compared_as_paired_gains_with_their_spread(monkeypatch):
    val = {(0, None): 0.60, (1, None): 0.58, (2, None): 0.62,
           (0, "freeze"): 0.63, (1, "freeze"): 0.60, (2, "freeze"): 0.66,
           (0, "augment"): 0.62, (1, "augment"): 0.61, (2, "augment"): 0.65}
    fake = lambda seed, remedy=None, n_per_class=20: SimpleNamespace(final={"val_acc": val[seed, remedy]})  # noqa: E731
    monkeypatch.setattr(metrics, "run", fake)
    assert metrics.gains((0, 1, 2), "freeze") == pytest.approx([0.03, 0.02, 0.04])
    found = metrics.freeze_vs_augment(seeds=(0, 1, 2))
    assert found.holds and "within the spread" in found.summary  # a 0.3-point difference ranks nothing


def test_the_lesson_never_ranks_remedies_by_a_single_run():
    code, prose = _code(), _prose()
    assert "max(gain" not in code and "biggest help" not in prose.lower()
    assert "freeze_vs_augment" in code and "cannot be told" in prose


# --- item 4: validation loss, weight decay, next(...) --------------------------------------------------------


def test_the_lesson_does_not_say_validation_loss_tells_the_same_story():
    prose = _prose()
    assert "tells the same story" not in prose
    assert "lab.validation_loss(" in _code()


def test_weight_decay_is_described_as_what_it_measured():
    prose = _prose()
    assert "shows nothing in 100 steps" in prose and "1e-4 of itself" in prose
    item = next(i for i in CONTENT["challenges"] if i["id"] == "rch-weight-decay")
    assert "metrics-weight-decay" in item["claims"]


def test_the_first_perfect_step_is_none_when_training_never_reaches_100_percent():
    never = SimpleNamespace(eval_steps=[0, 10, 20], train_acc=[0.1, 0.9, 0.99])
    assert metrics.first_perfect_step(never) is None
    assert metrics.first_perfect_step(SimpleNamespace(eval_steps=[0, 10], train_acc=[0.2, 1.0])) == 10
    assert "next(step for" not in _code()


def test_augment_is_described_as_shifts_not_never_the_same_image():
    assert "never sees exactly the same image twice" not in _prose()
    assert "one of 25 shifts" in _prose()


def test_lesson_06_fits_a_sitting_and_checks_with_one_liners():
    from widgets.sitting import SITTING_MINUTES, estimate

    assert estimate(LESSON).minutes <= SITTING_MINUTES
    assert "\nassert " not in "\n" + _code() and "widgets.check(" in _code()


# --- speed: a run read only at its end is measured only there -------------------------------------------------


def test_a_run_measured_only_at_its_end_ends_the_same():
    curve, end_only = _run(evaluations=10), _run(evaluations=1, measure_start=False)
    assert end_only.eval_steps == [20] and curve.eval_steps[0] == 0
    assert end_only.final == pytest.approx(curve.final)  # evaluating never changes training


def test_only_the_runs_whose_curves_are_drawn_or_read_are_evaluated_along_the_way(monkeypatch):
    asked = {}

    def fake_run(n, steps, lr, seed, **options):
        asked[seed, n, options["augment"]] = options["evaluations"], options["measure_start"]
        return SimpleNamespace(final={})

    monkeypatch.setattr(metrics, "train_run", fake_run)
    monkeypatch.setattr(metrics, "evaluate", lambda model, data: 0.5)
    for seed in (0, 1):
        metrics._run.__wrapped__(seed, None, metrics.IMAGES_PER_DIGIT)
        metrics._run.__wrapped__(seed, "augment", metrics.IMAGES_PER_DIGIT)
        metrics._run.__wrapped__(seed, None, metrics.MORE_IMAGES)
    assert asked == {(0, 20, False): (10, True), (0, 20, True): (10, True), (0, 50, False): (10, True),  # drawn
                     (1, 20, False): (10, True),  # the baseline's curve is read (validation loss, early stopping)
                     (1, 20, True): (1, False), (1, 50, False): (1, False)}


# --- issue 21, item 9a: the more-data gain is paired on the same validation images ------------------------------


def test_the_more_data_gain_compares_both_runs_on_the_same_validation_images(monkeypatch):
    """A fake run scores each run by WHICH images it is validated on (and by nothing else), so a gain is 0 exactly
    when the two runs were scored on the same images. Before the fix, the 20-image baseline was scored on its own
    validation images, which are training images of the 50-image run."""
    from widgets.kit.course import validation_task

    def fake_run(n, steps, lr, seed, task=None, **options):
        train, val = (task or (lambda k: validation_task(k, seed=seed)))(n)
        assert not set(map(bytes, val.images.numpy())) & set(map(bytes, train.images.numpy()))  # held out
        return SimpleNamespace(final={"val_acc": score_of(val), "train_acc": 1.0})

    def score_of(images):  # a number of the validation images only
        return (images.images.double().mean().item() % 1.0) * 0.5

    monkeypatch.setattr(metrics, "train_run", fake_run)
    monkeypatch.setattr(metrics, "evaluate", lambda model, data: score_of(data))  # the baseline's model, rescored
    seeds = (123_456,)  # a seed no other test caches
    train_20 = validation_task(metrics.IMAGES_PER_DIGIT, seed=seeds[0])[0]
    train_50, val_50 = validation_task(metrics.MORE_IMAGES, seed=seeds[0])
    assert set(map(bytes, train_20.images.numpy())) <= set(map(bytes, train_50.images.numpy()))
    assert metrics.more_data(seeds=seeds).values["gain"] == [0.0]
