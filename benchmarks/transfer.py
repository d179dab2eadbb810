"""Does the course's pre-trained model transfer? Every recipe side by side, measured.

    python benchmarks/transfer.py [--tune] [--json FILE] [--seeds 0,1,2] [--steps 50] [--n-per-class 10] [--threads 2]

``--tune`` first picks each tuned recipe's learning rate again (``widgets.labs.transfer.tune``: every rate of
``RATE_GRID``, 10 labels per class, on a validation split, never the test set) and prints the validation
accuracy of each rate next to ``TUNED_LR``, the rates the course uses. Then each recipe trains for the same
number of steps (batch 32) on the same labelled Digits-M images per class (each seed draws its own), at its
``TUNED_LR`` rate, and is scored on the fixed held-out test set. The source (letters) task is read with the
ORIGINAL head after fine-tuning, to measure forgetting.

Goals (from the issue): probe - scratch >= 0.30; freeze_all within 0.05 of chance; discriminative - high_lr
>= 0.30; forgetting at high LR >= 0.50; discriminative keeps the source accuracy within 0.03 and is >= probe
- 0.02; each run <= 10 s; checkpoint <= 1 MB.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from widgets.kit import checkpoint
from widgets.labs import transfer  # noqa: E402


def goals(r):
    return {
        "probe - scratch >= 0.30": r["probe"] - r["scratch"] >= 0.30,
        "|freeze_all - chance| <= 0.05": abs(r["freeze_all"] - r["chance"]) <= 0.05,
        "discriminative - high_lr >= 0.30": r["discriminative"] - r["high_lr"] >= 0.30,
        "forgetting at high LR >= 0.50": r["source_before"] - r["source_after_high_lr"] >= 0.50,
        "discriminative keeps source within 0.03": r["source_before"] - r["source_after_discriminative"] <= 0.03,
        "discriminative >= probe - 0.02": r["discriminative"] >= r["probe"] - 0.02,
        "each run <= 10 s": max(r["seconds_per_run"].values()) <= 10,
        "checkpoint <= 1 MB": r["checkpoint_bytes"] <= 1_000_000,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=transfer.LESSON_STEPS)
    parser.add_argument("--n-per-class", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (the course targets 2 cores)")
    parser.add_argument("--tune", action="store_true", help="pick the tuned recipes' rates again first")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    started = time.perf_counter()

    tuned = {}
    if args.tune:
        for recipe in transfer.TUNED_LR:
            scores = transfer.tune(recipe, n_per_class=args.n_per_class, seeds=seeds, steps=args.steps)
            tuned[recipe] = {f"{lr:g}": round(acc, 4) for lr, acc in scores.items()}
            best = max(scores, key=scores.get)
            print(f"{recipe:13s} validation accuracy: " + ", ".join(f"{lr:g}: {acc:.3f}" for lr, acc in scores.items())
                  + f" -> best {best:g} (the course uses {transfer.TUNED_LR[recipe]:g})")

    runs = transfer.compare(n_per_class=args.n_per_class, seeds=seeds, steps=args.steps, log=print)
    mean = {name: statistics.mean(r.target_acc for r in rs) for name, rs in runs.items()}
    spread = {name: statistics.pstdev(r.target_acc for r in rs) for name, rs in runs.items()}
    source_after = {name: statistics.mean(r.source_acc for r in rs)
                    for name, rs in runs.items() if rs[0].source_acc is not None}
    results = dict(mean)
    results.update(
        chance=1 / 10,
        source_before=checkpoint.course_model_info()["source_accuracy"],
        source_after_high_lr=source_after["high_lr"],
        source_after_discriminative=source_after["discriminative"],
        source_after_probe=source_after["probe"],
        seconds_per_run={name: max(r.seconds for r in rs) for name, rs in runs.items()},
        checkpoint_bytes=checkpoint.SHIPPED_CHECKPOINT.stat().st_size,
        std=spread,
        tuned_lr=transfer.TUNED_LR,
        validation_by_rate=tuned,
        seeds=list(seeds),
        steps=args.steps,
        n_per_class=args.n_per_class,
        threads=args.threads,
        total_seconds=round(time.perf_counter() - started, 1),
    )

    print(f"\nDigits-M, {args.n_per_class} labels per class, {args.steps} steps, mean of seeds {args.seeds}")
    print(f"{'recipe':16s} {'target acc':>10s} {'± std':>7s} {'source acc':>10s} {'max s/run':>9s}")
    for name in runs:
        source = f"{source_after[name]:.3f}" if name in source_after else "-"
        print(f"{name:16s} {mean[name]:10.3f} {spread[name]:7.3f} {source:>10s} "
              f"{results['seconds_per_run'][name]:9.1f}")
    print(f"chance {results['chance']:.3f}; source accuracy before fine-tuning {results['source_before']:.3f}; "
          f"checkpoint {results['checkpoint_bytes']:,} bytes")
    checks = goals(results)
    results["goals"] = checks
    for text, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
