"""``python -m reports.nightly``: one night of the benchmark job (``reports.nightly.night``)."""

import sys

from reports.nightly.night import main

if __name__ == "__main__":
    sys.exit(main())
