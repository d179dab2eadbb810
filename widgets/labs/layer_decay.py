"""Lesson 04's layer-wise learning-rate decay: discriminative rates set by one number.

The head trains at ``BASE_RATE``; each block below gets ``DECAY`` times the rate of the block above it
(:func:`widgets.engine.layer_decay.layer_decay_rates`), so with 0.1 the course model's four blocks get 1e-5, 1e-4,
1e-3 and 1e-2: section 4's hand-picked rates for conv3 and the head, lower ones below. 0.1 was picked on the design
seeds from 0.1, 0.3 and 0.5 (:func:`decays`). The runs are section 4's (every layer trains for 30 steps on
the same images and batches as the sweep; :func:`widgets.labs.learning_rate.rates_run`), compared with the same
uniform 3e-3 run of section 1.
"""

from ..engine.layer_decay import layer_decay_rates
from ..kit.course import BLOCKS
from . import evidence, learning_rate, mean, pct, spread
from .once import keep_for_the_session

BASE_RATE, DECAY = 1e-2, 0.1
#: the decays compared: the smaller the decay, the lower the early blocks' rates
DECAYS = (0.1, 0.3, 0.5)


def rates(decay=DECAY, base_rate=BASE_RATE):
    """``{block: rate}`` of the course model's four blocks, early to late."""
    return layer_decay_rates(BLOCKS, base_rate, decay)


def runs(seed, decay=DECAY):
    """``{"layer decay", "uniform"}`` -> History: the decayed rates and the uniform 3e-3 (section 1's run)."""
    uniform = learning_rate.rate_sweep(seed).histories[learning_rate.RATES.index(learning_rate.UNIFORM)]
    return {"layer decay": learning_rate.rates_run(seed, tuple(rates(decay).items())), "uniform": uniform}


def _finals(seeds, decay, key):
    return [runs(seed, decay)["layer decay"].final[key] for seed in seeds]


def layer_decay(seeds=learning_rate.SEEDS):
    """Layer-wise decay 0.1 from 1e-2 at the head keeps the old task at least 3 points better than one uniform 3e-3
    on every seed, and learns the new task at least as well on every seed."""
    uniform = [runs(seed)["uniform"].final for seed in seeds]
    old = {"layer decay": _finals(seeds, DECAY, "source_acc"), "uniform": [u["source_acc"] for u in uniform]}
    new = {"layer decay": _finals(seeds, DECAY, "val_acc"), "uniform": [u["val_acc"] for u in uniform]}
    kept = [d - u for d, u in zip(old["layer decay"], old["uniform"])]
    learned = [d - u for d, u in zip(new["layer decay"], new["uniform"])]
    per_seed = [k >= 0.03 and n >= 0 for k, n in zip(kept, learned)]
    shown = ", ".join(f"{block} {rate:.0e}" for block, rate in rates().items())
    summary = (f"layer decay {DECAY} ({shown}) against a uniform {learning_rate.UNIFORM:.0e}: old task "
               f"{pct(old['layer decay'])} vs {pct(old['uniform'])} ({_points(kept)}), new task "
               f"{pct(new['layer decay'])} vs {pct(new['uniform'])} ({_points(learned)}) ({len(seeds)} seeds)")
    return evidence(all(per_seed), seeds, summary, old_task_kept=kept, new_task_gain=learned,
                    old_decay=old["layer decay"], old_uniform=old["uniform"], new_decay=new["layer decay"],
                    new_uniform=new["uniform"])


def decays(seeds=learning_rate.SEEDS):
    """The one number at work: the smaller the decay (0.5, 0.3, 0.1: lower rates for the early blocks, the head at
    1e-2 in each), the more of the old task is kept, on every seed."""
    old = {decay: _finals(seeds, decay, "source_acc") for decay in DECAYS}
    new = {decay: _finals(seeds, decay, "val_acc") for decay in DECAYS}
    ordered = sorted(DECAYS)
    holds = all(all(old[a][k] > old[b][k] for a, b in zip(ordered, ordered[1:])) for k in range(len(seeds)))
    summary = ("old task / new task after 30 steps: " + "; ".join(
        f"decay {d} {pct(old[d])} / {pct(new[d])}" for d in DECAYS) + f" ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, **{f"old task at decay {d}": old[d] for d in DECAYS},
                    **{f"new task at decay {d}": new[d] for d in DECAYS})


def _points(values):
    return f"{100 * mean(values):+.1f} ± {100 * spread(values):.1f} points"


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
