"""Lesson 08's runs, measured: each method's rate tuned on a validation split, the spectrum table, LP-FT, the recipe.

    python benchmarks/fine_tuning_now.py [--tune] [--seeds 0,1,2] [--threads 1]

``--tune`` prints each method's validation accuracy at every rate of its tuning grid (``widgets.labs.now.tune``
and ``widgets.labs.recipe_now.tune``: 50 labels per digit, validation images from the labelled pool, never the
test set) next to the rate the course uses. Then the spectrum, LP-FT and the recipe comparison on ``--seeds``,
with the CPU seconds each run took.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from widgets.labs import now, recipe_now  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated methods to tune (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    if args.tune:
        methods = [m for m in args.only.split(",") if m] or list(now.SPECTRUM) + list(recipe_now.RECIPES)
        for method in methods:
            started = time.process_time()
            scores = (recipe_now.tune(method, seeds=seeds) if method in recipe_now.RECIPES
                      else now.tune(method, seeds=seeds))
            used = recipe_now.RATES.get(method) if method in recipe_now.RECIPES else now.RATES[method]
            best = max(scores, key=scores.get)
            print(f"{method:15s} " + "  ".join(f"{lr:g}: {acc:.3f}" for lr, acc in scores.items())
                  + f"  best {best:g}, used {used:g} ({time.process_time() - started:.0f} CPU s)", flush=True)
    for method in now.SPECTRUM:
        started = time.process_time()
        runs = [now.run(method, seed) for seed in seeds]
        print(f"{method:15s} {runs[0].trainable:>8,} trainable  in {[round(r.in_acc, 3) for r in runs]}  shifted "
              f"{[round(r.shifted_acc, 3) for r in runs]}  cka {[round(r.feature_cka, 3) for r in runs]}  "
              f"{(time.process_time() - started) / len(seeds):.1f} CPU s per run", flush=True)
    for name, function in (("lp_ft", now.lp_ft), ("features_kept", now.features_kept),
                           ("more_steps_control", now.more_steps_control), ("spectrum", now.spectrum),
                           ("recipe", recipe_now.recipe)):
        started = time.process_time()
        found = function(seeds=seeds)
        print(f"{name}: {'holds' if found.holds else 'DOES NOT HOLD'}: {found.summary} "
              f"({time.process_time() - started:.0f} CPU s)", flush=True)


if __name__ == "__main__":
    main()
