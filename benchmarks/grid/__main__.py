"""``python -m benchmarks.grid``: see ``benchmarks.grid.run``."""

from benchmarks.grid.run import main

if __name__ == "__main__":
    main()
