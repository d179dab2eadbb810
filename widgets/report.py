"""``python -m widgets.report FOLDER``: the class report for a folder of learners' exported progress files.

Writes one self-contained HTML page (``FOLDER/class_report.html``, or ``--out``) and prints what it read and
what it skipped. ``--demo N`` first writes a made-up class of N learners into FOLDER, to try it out.
Nothing is sent anywhere: the files are read from the folder, the page is written next to them.
"""

import argparse
import sys

from .modes.class_report import write_report
from .modes.classroom.demo import write_demo_class


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m widgets.report", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder of progress files (the Progress tab's Export)")
    parser.add_argument("--out", help="where to write the page (default: FOLDER/class_report.html)")
    parser.add_argument("--demo", type=int, metavar="N", help="first write a made-up class of N learners into FOLDER")
    args = parser.parse_args(argv)
    if args.demo:
        write_demo_class(args.folder, learners=args.demo)
    try:
        path, summary = write_report(args.folder, args.out)
    except (FileNotFoundError, NotADirectoryError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: could not write the report ({err})", file=sys.stderr)
        return 1
    print(f"Read {len(summary.learners)} learner(s); skipped {len(summary.skipped)} file(s).")
    for name, reason in summary.skipped:
        print(f"  skipped {name}: {reason}")
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
