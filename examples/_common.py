"""Small helpers shared by the example scripts (not an example itself).

- `EpochProgress`: one epoch's batches, shown as a tqdm progress bar with the running
  loss when tqdm is installed (an optional extra); without tqdm the scripts' own
  per-epoch line is the only progress shown.
- `SOURCES`: the source documents, cited as a reader knows them.
- `as_script`: what `python examples/NAME.py` runs: `--help`, a refused argument, and a
  quiet end when the reader stops reading (`| head`).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, Iterable, Iterator

__all__ = ["EpochProgress", "SOURCES", "as_script"]

# The documents the examples follow, as the demo names them under each heading.
SOURCES = {
    "grokking": 'Grokking Deep Learning by Andrew W. Trask, chapter 5 "Learning multiple '
                'weights at a time: generalizing gradient descent"',
    "grokking-blog": 'the blog post "Deep Learning From Scratch, Part 3: Generalizing '
                     'Gradient Descent" (notes on Grokking Deep Learning, chapter 5)',
    "slides": 'Dan Becker\'s course slides "Introduction to Deep Learning in Python", '
              'chapter 2 "Gradient descent"',
    "course-notes": 'the course notes "Gradient Descent with Squared Errors", on the lesson '
                    'of Udacity\'s deep-learning course and its admissions data',
    "blog": 'the blog post "Gradient Descent", on backpropagation and gradient descent',
}


class EpochProgress:
    """Iterate over one epoch's batches; `show(loss)` puts the running loss on the bar.

    The bar goes to stderr and disappears when the epoch ends, so stdout keeps only the
    document's table. It is off when `verbose` is False, when tqdm is not installed, and
    when stderr is not a terminal (tqdm's `disable=None`).
    """

    def __init__(self, batches: Iterable[Any], *, desc: str, verbose: bool,
                 total: int | None = None) -> None:
        self._batches = batches
        self._bar = None
        if verbose:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(batches, desc=desc, total=total, leave=False,
                                 file=sys.stderr, unit="batch", disable=None)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._bar if self._bar is not None else self._batches)

    def show(self, running_loss: float) -> None:
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{running_loss:.4f}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()



def as_script(run: Callable[[], Any], doc: str | None = None) -> None:
    """Run an example as a script. With `doc` (the module's docstring) the example takes
    no arguments: `--help` prints the docstring and anything else is a usage error, rather
    than being ignored while it trains; without it, `run` reads the arguments itself."""
    if doc is not None:
        argparse.ArgumentParser(description=doc, prog=os.path.basename(sys.argv[0]),
                                formatter_class=argparse.RawDescriptionHelpFormatter
                                ).parse_args()
    try:
        run()
        sys.stdout.flush()  # (a reader gone shows here, not in Python's exit)
    except BrokenPipeError:  # `python examples/NAME.py | head`: the reader stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)  # (the shell's code for a broken pipe)
