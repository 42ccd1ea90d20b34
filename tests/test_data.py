"""Tests of tinygrad_gd.data: DataLoader's batching, shuffling, alignment and errors, and
PyTorch's datasets (TensorDataset, Dataset, Subset, random_split)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from tinygrad_gd import data
from tinygrad_gd.data import DataLoader


def _tensor_module():
    try:
        return importlib.import_module("tinygrad_gd.tensor")
    except ImportError:
        return None


@pytest.fixture(autouse=True)
def _batches_without_core(monkeypatch):
    """Let the loader's logic be tested even while the Tensor class is not importable."""
    if _tensor_module() is None:
        monkeypatch.setattr(data, "_to_tensor", lambda batch: batch)


def _epoch(loader):
    return [tuple(np.asarray(part) for part in batch) if isinstance(batch, tuple)
            else np.asarray(batch) for batch in loader]


def test_batches_are_tensors_keeping_dtype():
    tensor = pytest.importorskip("tinygrad_gd.tensor",
                                 reason="tinygrad_gd.tensor is not importable yet")
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6, dtype=np.int64)
    xb, yb = next(iter(DataLoader(x, y, batch_size=4)))
    assert isinstance(xb, tensor.Tensor) and isinstance(yb, tensor.Tensor)
    assert xb.data.dtype == np.float32 and yb.data.dtype == np.int64
    np.testing.assert_array_equal(xb.data, x[:4])


@pytest.mark.parametrize("n, batch_size, drop_last, expected", [
    (10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3), (9, 3, True, 3),
    (2, 5, False, 1), (2, 5, True, 0), (0, 4, False, 0),
])
def test_len_matches_number_of_batches(n, batch_size, drop_last, expected):
    loader = DataLoader(np.arange(n), batch_size=batch_size, drop_last=drop_last)
    batches = _epoch(loader)
    assert len(loader) == expected == len(batches)
    if drop_last:
        assert all(len(batch) == batch_size for batch in batches)


def test_unshuffled_epoch_is_in_order_with_short_last_batch():
    batches = _epoch(DataLoader(np.arange(10), batch_size=4))
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_single_array_yields_bare_batches_and_several_yield_tuples():
    single = next(iter(DataLoader(np.arange(5), batch_size=2)))
    assert not isinstance(single, tuple)
    pair = next(iter(DataLoader(np.arange(5), np.arange(5), batch_size=2)))
    assert isinstance(pair, tuple) and len(pair) == 2


def test_every_sample_seen_once_per_shuffled_epoch():
    loader = DataLoader(np.arange(103), batch_size=10, shuffle=True, seed=3)
    for _ in range(3):
        seen = np.concatenate(_epoch(loader))
        assert sorted(seen.tolist()) == list(range(103))


def test_same_seed_gives_same_sequence_of_epochs():
    a = DataLoader(np.arange(50), batch_size=7, shuffle=True, seed=123)
    b = DataLoader(np.arange(50), batch_size=7, shuffle=True, seed=123)
    for _ in range(3):
        assert np.array_equal(np.concatenate(_epoch(a)), np.concatenate(_epoch(b)))


def test_each_epoch_has_a_new_order_when_shuffling():
    loader = DataLoader(np.arange(50), batch_size=50, shuffle=True, seed=0)
    first, second = np.concatenate(_epoch(loader)), np.concatenate(_epoch(loader))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(50))


def test_different_seeds_give_different_orders():
    a = np.concatenate(_epoch(DataLoader(np.arange(50), batch_size=8, shuffle=True, seed=1)))
    b = np.concatenate(_epoch(DataLoader(np.arange(50), batch_size=8, shuffle=True, seed=2)))
    assert not np.array_equal(a, b)


def test_pairs_stay_aligned_under_shuffling():
    x = np.arange(40, dtype=np.float64).reshape(20, 2)  # row i is [2i, 2i + 1]
    y = np.arange(20) * 10
    for xb, yb in _epoch(DataLoader(x, y, batch_size=6, shuffle=True, seed=7)):
        np.testing.assert_array_equal(xb[:, 0], yb / 5)
        np.testing.assert_array_equal(xb[:, 1], yb / 5 + 1)


def test_batches_are_copies_not_views_of_the_input():
    x = np.zeros((4, 2))
    batch = next(iter(DataLoader(x, batch_size=2)))
    getattr(batch, "data", batch)[...] = 1.0  # a Tensor's array, or the bare batch
    assert not x.any()


def test_accepts_lists_and_array_likes():
    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.arange(6).reshape(3, 2)

    batches = _epoch(DataLoader(ArrayLike(), [1, 2, 3], batch_size=2))
    assert batches[0][0].tolist() == [[0, 1], [2, 3]] and batches[1][1].tolist() == [3]


def test_accepts_tensors_as_input():
    tensor = pytest.importorskip("tinygrad_gd.tensor",
                                 reason="tinygrad_gd.tensor is not importable yet")
    x = tensor.Tensor(np.arange(8.0).reshape(4, 2))
    (first,) = _epoch(DataLoader(x, batch_size=4))
    np.testing.assert_array_equal(first, np.arange(8.0).reshape(4, 2))


def test_error_no_arrays():
    with pytest.raises(ValueError, match=r"DataLoader\(\) got no arrays.*at least one"):
        DataLoader(batch_size=2)


def test_error_lengths_differ_names_the_lengths():
    with pytest.raises(ValueError, match=r"DataLoader.*same number of samples.*"
                                         r"array 0: 5, array 1: 4"):
        DataLoader(np.zeros(5), np.zeros(4))


@pytest.mark.parametrize("bad", [0, -3])
def test_error_batch_size_below_one(bad):
    with pytest.raises(ValueError, match=rf"DataLoader: batch_size must be an int >= 1, "
                                         rf"got {bad}"):
        DataLoader(np.zeros(5), batch_size=bad)


@pytest.mark.parametrize("bad", [2.0, "8", True])
def test_error_batch_size_not_an_int(bad):
    with pytest.raises(TypeError, match=r"DataLoader: batch_size must be an int"):
        DataLoader(np.zeros(5), batch_size=bad)


def test_error_zero_dimensional_array():
    with pytest.raises(ValueError, match=r"DataLoader: array 1 is 0-d.*atleast_1d"):
        DataLoader(np.zeros(3), np.float64(2.0))


def test_numpy_integer_batch_size_is_accepted():
    assert len(DataLoader(np.zeros(10), batch_size=np.int64(5))) == 2


# ------------------------------------------------------------------ PyTorch's datasets


def test_a_tensor_dataset_batches_as_its_arrays_do():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    dataset = data.TensorDataset(x, y)
    assert len(dataset) == 10
    row, label = dataset[3]
    assert np.asarray(row).tolist() == [6.0, 7.0] and int(np.asarray(label)) == 3
    ours = _epoch(tuple(b) for b in DataLoader(dataset, batch_size=4, shuffle=True, seed=5))
    plain = _epoch(DataLoader(x, y, batch_size=4, shuffle=True, seed=5))
    assert all((a == b).all() for pair in zip(ours, plain) for a, b in zip(*pair))
    x[0, 0] = 100.0  # a copy: the dataset keeps the values it was given
    assert np.asarray(dataset[0][0]).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="TensorDataset: all arrays must have the same number"):
        data.TensorDataset(x, y[:5])


def test_random_split_cuts_a_seeded_permutation_into_the_lengths():
    dataset = data.TensorDataset(np.arange(10))
    train, test = data.random_split(dataset, [7, 3], seed=0)
    seen = [int(np.asarray(train[i][0])) for i in range(7)] + \
        [int(np.asarray(test[i][0])) for i in range(3)]
    assert sorted(seen) == list(range(10)) and seen != list(range(10))
    again = data.random_split(dataset, [7, 3], seed=0)
    assert again[0].indices == train.indices
    assert [len(s) for s in data.random_split(range(11), [0.5, 0.3, 0.2], seed=1)] == [6, 3, 2]
    with pytest.raises(ValueError, match=r"random_split: lengths \[3, 3\] must be whole"):
        data.random_split(dataset, [3, 3])


@pytest.mark.torch
@pytest.mark.parametrize("n, fractions", [(10, [0.7, 0.3]), (11, [0.5, 0.3, 0.2]),
                                          (7, [0.25, 0.25, 0.5])])
def test_random_split_lengths_from_fractions_are_pytorchs(n, fractions):
    torch = pytest.importorskip("torch")
    expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
    assert [len(s) for s in data.random_split(range(n), fractions, seed=0)] == expected


def test_a_dataset_of_your_own_is_read_sample_by_sample_and_stacked():
    class Squares(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=float), {"label": i, "weight": 0.5}

    batches = list(DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    features, extra = batches[0]
    assert np.asarray(features).tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert np.asarray(extra["label"]).tolist() == [0, 1]
    assert np.asarray(extra["weight"]).tolist() == [0.5, 0.5]
    assert np.asarray(batches[2][0]).tolist() == [[4.0, 16.0]]
    subset = data.Subset(Squares(), [4, 0])
    assert np.asarray(next(iter(DataLoader(subset, batch_size=2)))[0]).tolist() == [
        [4.0, 16.0], [0.0, 0.0]]

    class Ragged(data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.zeros(i + 1)

    with pytest.raises(ValueError, match="the samples of a batch have different shapes"):
        list(DataLoader(Ragged(), batch_size=2))


def test_the_loader_keeps_its_dataset_as_pytorchs_does():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    dataset = data.TensorDataset(x, y)
    loader = DataLoader(dataset, batch_size=4)
    assert loader.dataset is dataset and len(loader.dataset) == 10
    subset = data.Subset(dataset, [1, 2, 3])
    assert DataLoader(subset, batch_size=2).dataset is subset
    from_arrays = DataLoader(x, y, batch_size=4).dataset  # the arrays as a TensorDataset
    assert isinstance(from_arrays, data.TensorDataset) and len(from_arrays) == 10
    assert np.asarray(from_arrays[3][0]).tolist() == [6.0, 7.0]


def test_pytorchs_worker_options_are_accepted_at_single_process_values():
    x = np.arange(6.0)
    loader = DataLoader(x, batch_size=4, num_workers=0, pin_memory=False)
    assert [np.asarray(b).tolist() for b in loader] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
    with pytest.raises(ValueError, match=r"DataLoader: num_workers=4 is not supported: this "
                                         r"loader is single-process.*use num_workers=0"):
        DataLoader(x, batch_size=4, num_workers=4)
    with pytest.raises(ValueError, match=r"DataLoader: pin_memory=True is not supported.*"
                                         r"use pin_memory=False"):
        DataLoader(x, batch_size=4, pin_memory=True)


# ------------------------------------------------------------------ audit 13: batches of a
# one-array TensorDataset, manual_seed after building, string fields


@pytest.mark.torch
def test_a_one_array_tensor_dataset_yields_one_element_batches_as_pytorchs():
    torch = pytest.importorskip("torch")
    x = np.arange(12.0).reshape(6, 2)
    ours = list(DataLoader(data.TensorDataset(x), batch_size=4))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(
        torch.tensor(x)), batch_size=4))
    assert [len(batch) for batch in ours] == [len(batch) for batch in theirs] == [1, 1]
    for (xb,), (tb,) in zip(ours, theirs):  # PyTorch's unpacking works
        np.testing.assert_array_equal(np.asarray(xb), tb.numpy())
    subset = data.Subset(data.TensorDataset(x), [0, 1, 2, 3])
    (sub,) = next(iter(DataLoader(subset, batch_size=4)))  # the same as through a Subset
    np.testing.assert_array_equal(np.asarray(sub), np.asarray(ours[0][0]))
    bare = next(iter(DataLoader(x, batch_size=4)))  # a bare array still yields bare batches
    np.testing.assert_array_equal(np.asarray(bare), x[:4])


def test_manual_seed_after_building_rules_the_loader_and_dropout(monkeypatch):
    import tinygrad_gd as tg
    from tinygrad_gd import creation
    monkeypatch.setattr(creation, "_seeded", [None])  # (undone after the test)
    loader = DataLoader(np.arange(50), batch_size=50, shuffle=True)  # built before any seed
    dropout = tg.nn.Dropout(0.5)

    def draw(seed):
        tg.manual_seed(seed)
        return np.asarray(next(iter(loader))), dropout(tg.ones(50)).numpy()

    first = draw(0)
    tg.manual_seed(1)
    late_loader = DataLoader(np.arange(50), batch_size=50, shuffle=True)  # built after one
    late_dropout = tg.nn.Dropout(0.5)
    for once, again in zip(first, draw(0)):
        np.testing.assert_array_equal(once, again)
    assert not any(np.array_equal(a, b) for a, b in zip(first, draw(1)))
    tg.manual_seed(0)
    np.testing.assert_array_equal(np.asarray(next(iter(late_loader))), first[0])
    np.testing.assert_array_equal(late_dropout(tg.ones(50)).numpy(), first[1])
    seeded = DataLoader(np.arange(50), batch_size=50, shuffle=True, seed=3)  # a seed rules
    np.testing.assert_array_equal(
        np.asarray(next(iter(seeded))), np.random.default_rng(3).permutation(50))


class _Named(data.Dataset):
    """Dict samples holding strings; given `meta`, (x, {"meta": meta}) samples instead."""

    def __init__(self, *meta):
        self.meta = meta

    def __len__(self):
        return 3

    def __getitem__(self, i):
        sample = {"x": np.full(2, float(i)), "y": i, "name": f"s{i}", "raw": b"ab"}
        return (sample["x"], {"meta": self.meta[0]}) if self.meta else sample


@pytest.mark.torch
def test_string_fields_are_gathered_into_lists_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours = next(iter(DataLoader(_Named(), batch_size=3)))
    theirs = next(iter(torch.utils.data.DataLoader(_Named(), batch_size=3)))
    assert ours["name"] == theirs["name"] == ["s0", "s1", "s2"]
    assert ours["raw"] == theirs["raw"] == [b"ab"] * 3
    for key in ("x", "y"):
        np.testing.assert_array_equal(np.asarray(ours[key]), theirs[key].numpy())


@pytest.mark.parametrize("meta, kind", [(None, "NoneType"), (1j, "complex"),
                                        (np.array(["a", "b"]), "ndarray")])
def test_a_field_that_is_not_numbers_is_refused_naming_the_field(meta, kind):
    loader = DataLoader(_Named(meta), batch_size=3)
    with pytest.raises(TypeError, match=rf"^DataLoader: cannot stack field \[1\]\['meta'\] of "
                                        rf"the samples into a Tensor: got {kind} values"):
        next(iter(loader))
