"""The streaming job's driver script for spark-submit: `lab stream` with the arguments given.

It lives apart from the package so that the folder spark-submit puts on sys.path holds no module of the lab's.
"""

import sys

if __name__ == "__main__":
    from lab.cli import main

    sys.exit(main(["stream", *sys.argv[1:]]))
