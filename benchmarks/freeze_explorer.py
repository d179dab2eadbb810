"""How fast does FreezeExplorer react? One toggle on ResNet152 must update counts, chart and code in <= 50 ms.

Run: python benchmarks/freeze_explorer.py [--toggles 200]
It times the whole Python side of a click (the observer: freeze/unfreeze, counting, the chart's in-place update,
the code panel, and serialising every changed widget state into its comm message; outside a kernel ipywidgets
hands those messages to a no-op comm, so only the network hop to the browser is left out), and prints the
median, the 95th percentile and the ratio to the budget.
"""

import argparse
import statistics
import time

from widgets.kit.zoo import build_architecture
from widgets.ui.freeze_explorer import FreezeExplorer

BUDGET_MS = 50.0


def time_toggles(explorer, toggles):
    """Flip blocks one after another (all over the model); milliseconds per flip."""
    names = list(explorer.toggles)
    times = []
    for i in range(toggles):
        toggle = explorer.toggles[names[(i * 7) % len(names)]]  # stride 7: not always the same block
        start = time.perf_counter()
        toggle.value = not toggle.value
        times.append((time.perf_counter() - start) * 1000)
    return times


def time_clicks(explorer, button, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        button.click()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label, times):
    median = statistics.median(times)
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    print(f"{label:<42} median {median:6.2f} ms  p95 {p95:6.2f} ms  "
          f"budget/median = {BUDGET_MS / median:5.1f}x  (n={len(times)})")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toggles", type=int, default=200)
    args = parser.parse_args()

    start = time.perf_counter()
    model = build_architecture("resnet152")
    explorer = FreezeExplorer(model)
    print(f"resnet152: {explorer.counts.total:,} parameters; model + explorer built in "
          f"{time.perf_counter() - start:.1f} s (first imports included)")
    time_toggles(explorer, 10)  # warm-up

    medians = {}
    for depth in explorer.depths:
        explorer.depth = depth
        medians[depth] = report(f"toggle, depth {depth} ({len(explorer.toggles)} toggles)",
                                time_toggles(explorer, args.toggles))
    explorer.depth = 1
    for name, button in explorer.presets.items():
        report(f"preset {name}", time_clicks(explorer, button, 20))
    report("replace head (10 classes)", time_clicks(explorer, explorer.replace_head_button, 20))

    worst = max(medians.values())
    verdict = "within" if worst <= BUDGET_MS else "OVER"
    print(f"slowest toggle median {worst:.2f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")


if __name__ == "__main__":
    main()
