"""`python -m tinygrad_gd ...` is the `tinygrad-gd` command."""
import sys

from .cli import main

sys.exit(main())
