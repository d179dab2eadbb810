"""MetricsExplorer (lesson 06), headless: tiny model, easy data, real training."""

import html

import pytest
import torch

from widgets import CourseCNN
from widgets.ui.metrics_explorer import MetricsExplorer


def task(n_per_class, classes=4, seed=0):
    def make(n, s):
        g = torch.Generator().manual_seed(s)
        y = torch.arange(n * classes) % classes
        x = torch.randn(n * classes, 3, 32, 32, generator=g) * 2.0  # noisy: a small set is easy to overfit
        x[:, 0] += (y.float() - classes / 2)[:, None, None] * 0.3
        return x, y

    return make(n_per_class, seed), make(30, seed + 100)


def factory():
    torch.manual_seed(0)
    return CourseCNN(num_classes=4, width=8)


@pytest.fixture
def explorer():
    return MetricsExplorer(n_per_class=5, steps=20, lr=3e-3, model_factory=factory, task=task)


def test_a_run_draws_train_and_validation_curves_and_fills_the_table(explorer):
    history = explorer.run()
    assert history.status == "done" and len(history.loss) == 20
    assert history.eval_steps == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    names = [trace.name for trace in explorer.fig.data]
    assert names == ["5/class, no remedy: train", "5/class, no remedy: validation"]
    assert list(explorer.fig.data[1].y) == history.val_acc
    row = explorer.summary()["5/class, no remedy"]
    assert row["gap"] == pytest.approx(history.train_acc[-1] - history.val_acc[-1])
    assert "5/class, no remedy" in explorer.table.value


@pytest.mark.slow
def test_each_remedy_changes_what_it_says(explorer):
    frozen = explorer.run(freeze=True)
    assert frozen.drift["conv1"][-1] == 0 and frozen.drift["conv3"][-1] == 0 and frozen.drift["head"][-1] > 0
    decayed = explorer.run(weight_decay=True)
    plain = explorer.run()
    assert decayed.loss != plain.loss
    augmented = explorer.run(augment=True)
    assert augmented.loss[0] != plain.loss[0] or augmented.loss[1] != plain.loss[1]
    assert len(explorer.runs) == 4


def test_the_plot_always_shows_the_baseline_and_the_latest_runs(explorer):
    for n in (2, 3, 4, 5, 6, 7, 8):
        explorer.run(n_per_class=n, steps=2)
    assert len(explorer.runs) == 7
    assert len(explorer.fig.data) == 2 * 4
    shown = [trace.name.split(":")[0] for trace in explorer.fig.data[::2]]
    # the baseline (no remedy, the explorer's own 5 images per class) first, then the three latest runs
    assert shown == ["5/class, no remedy", "6/class, no remedy", "7/class, no remedy", "8/class, no remedy"]


def test_bad_settings_are_a_message_not_a_traceback(explorer):
    assert explorer.run(steps=0) is None
    assert "steps must be" in explorer.runner.status.value
    assert explorer.run(colour="red") is None
    assert "unknown setting 'colour'" in html.unescape(explorer.runner.status.value)


def test_the_bar_moves_every_step_and_the_plot_redraws_only_after_evaluations(explorer, monkeypatch):
    from widgets.figures import training as figs

    draws, moves = [], []
    real = figs.update_train_val
    monkeypatch.setattr(figs, "update_train_val", lambda fig, runs: draws.append(1) or real(fig, runs))
    explorer.runner.bar.observe(lambda change: moves.append(change["new"]), "value")
    history = explorer.run()
    assert moves[0] == pytest.approx(1 / 20)  # the first thing a learner sees comes after one step
    assert sorted(set(moves)) == pytest.approx([i / 20 for i in range(1, 21)])
    assert len(draws) == len(history.eval_steps) + 1  # once per evaluation (step 0 included), once at the end
