"""Small helpers shared by the example scripts (not an example itself).

- `EpochProgress`: one epoch's batches, shown as a tqdm progress bar with the running
  loss when tqdm is installed (an optional extra); without tqdm the scripts' own
  per-epoch line is the only progress shown.
- `default_admissions_path`: where the admissions CSV of seed 001 lies in a checkout.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = ["EpochProgress", "default_admissions_path", "ADMISSIONS_FILE"]

ADMISSIONS_FILE = "student_admissions.csv"


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


def default_admissions_path() -> Path | None:
    """The shared admissions CSV next to this checkout (`../shared/data/`), if present.

    Looked up beside the repository that holds examples/ and beside the working folder;
    a user's machine has neither, so callers must then ask for a path.
    """
    repo = Path(__file__).resolve().parent.parent
    for root in (repo, Path.cwd()):
        candidate = root.parent / "shared" / "data" / ADMISSIONS_FILE
        if candidate.is_file():
            return candidate
    return None
