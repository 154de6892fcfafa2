"""``python -m reports``: build reports/html/ (the asv site and the report page beside it)."""

import argparse
import sys

from reports.errors import ReportInputError
from reports.page.build import build_report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__)
    parser.add_argument("--root", default=".", help="project root holding asv.conf.json (default: .)")
    parser.add_argument("--output", help="output folder (default: <root>/reports/html)")
    parser.add_argument("--validation", help="validation.json (default: results/validation/validation.json)")
    parser.add_argument("--power", help="power.json (default: results/validation/power.json)")
    parser.add_argument("--no-publish", action="store_true", help="skip `asv publish` (page only)")
    args = parser.parse_args(argv)
    try:
        index = build_report(args.root, args.output, args.validation, args.power, publish=not args.no_publish)
    except ReportInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"\nThe report is at {index}")
    print(f"Serve it over HTTP (the asv pages need it): python -m http.server -d {index.parent} 8080")
    print("then open http://localhost:8080/ (or `asv preview` for the asv pages alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
