"""The command line: `tinygrad-gd demo`, `tinygrad-gd graph` (placeholder, being written)."""
import sys


def main(argv=None) -> int:
    print("tinygrad-gd: not yet implemented", file=sys.stderr)
    return 2
