"""``python -m widgets.report FOLDER``: the class report for a folder of learners' exported progress files.

Writes one self-contained HTML page (``FOLDER/class_report.html``, or ``--out``) and a CSV beside it (one row per
learner per lesson), and prints what it read, what it skipped and who may need a word. ``--demo N`` first
writes a made-up class of N learners into FOLDER, to try it out. Nothing is sent anywhere: the files are read
from the folder, the report is written next to them, and never read back as a learner's file.
"""

import argparse
import sys

from .modes.class_report import write_report
from .modes.classroom.demo import write_demo_class
from .modes.classroom.summary import IDLE_DAYS


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m widgets.report", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder of progress files (the Progress tab's Export)")
    parser.add_argument("--out", help="where to write the page (default: FOLDER/class_report.html); the CSV goes "
                                      "beside it")
    parser.add_argument("--demo", type=int, metavar="N", help="first write a made-up class of N learners into FOLDER")
    parser.add_argument("--idle-days", type=int, default=IDLE_DAYS, metavar="N",
                        help=f"flag learners with no activity for N days (default {IDLE_DAYS})")
    args = parser.parse_args(argv)
    if args.demo is not None and args.demo < 1:
        parser.error("--demo needs a number of learners of at least 1")
    if args.demo:
        write_demo_class(args.folder, learners=args.demo)
    try:
        path, summary = write_report(args.folder, args.out, idle_after=args.idle_days)
    except (FileNotFoundError, NotADirectoryError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: could not write the report ({err})", file=sys.stderr)
        return 1
    print(f"Read {len(summary.learners)} learner(s); skipped {len(summary.skipped)} file(s).")
    for name, reason in summary.skipped:
        print(f"  skipped {name}: {reason}")
    stuck = summary.stuck()
    print(f"{len(stuck)} learner(s) may need a word" + (":" if stuck else "."))
    for learner in stuck:
        print(f"  {learner.name}: {'; '.join(learner.flags(summary.idle_after))}")
    print(f"Wrote {path} and {path.with_suffix('.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
