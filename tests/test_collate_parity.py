"""default_collate, default_convert and DataLoader batching against torch 2.13's
torch.utils.data, so a PyTorch program gets the same batches: every kind of sample
(Python numbers, NumPy scalars and arrays, Tensors, str and bytes, Mappings,
namedtuples, tuples, lists, nested), compared batch by batch in container type, dtype
and values, through default_collate and through DataLoaders (a list, a map-style
Dataset, an IterableDataset, batch_size=None); and the errors' types and messages."""
from __future__ import annotations

import collections
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.utils.data import (DataLoader, Dataset, IterableDataset, TensorDataset,
                                    default_collate, default_convert)

Point = collections.namedtuple("Point", "x label")


class Row(list):
    """A list subclass: torch's default_collate keeps a mutable sequence's type."""


def _tensors(lib, arrays):
    return [lib.tensor(array) for array in arrays]


# Each kind of sample: made for tg or torch (`lib`), five samples, batched two at a time.
SAMPLES = {
    "ints": lambda lib: [1, 2, 3, 4, 5],
    "floats": lambda lib: [0.5, 1.5, -2.0, 3.25, 4.0],
    "bools": lambda lib: [True, False, True, True, False],
    "float_then_int": lambda lib: [1.5, 2, 3.5, 4, 5.0],
    "bool_then_int": lambda lib: [True, 2, False, 3, True],
    "int_then_bool": lambda lib: [2, True, 3, False, 4],
    "numpy_float32": lambda lib: [np.float32(v) for v in (0.5, 1, 2, 3, 4)],
    "numpy_int32": lambda lib: [np.int32(v) for v in range(5)],
    "numpy_uint8": lambda lib: [np.uint8(v) for v in range(5)],
    "numpy_bool": lambda lib: [np.bool_(v % 2) for v in range(5)],
    "numpy_float16": lambda lib: [np.float16(v) for v in range(5)],
    "numpy_mixed": lambda lib: [np.float32(1), np.float64(2), np.int32(3), np.float32(4),
                                np.int8(5)],
    "numpy_then_python_int": lambda lib: [np.int32(1), 2, np.int16(3), 4, np.int64(5)],
    "arrays_float32": lambda lib: [np.full((2, 3), i, np.float32) for i in range(5)],
    "arrays_int64": lambda lib: [np.arange(3) * i for i in range(5)],
    "arrays_0d": lambda lib: [np.array(i / 2) for i in range(5)],
    "arrays_empty": lambda lib: [np.zeros((0, 2)) for _ in range(5)],
    "arrays_mixed_dtypes": lambda lib: [np.zeros(2, np.int64), np.ones(2, np.float32),
                                        np.ones(2, np.uint8), np.ones(2, np.int8),
                                        np.ones(2, np.float64)],
    "tensors": lambda lib: _tensors(lib, [np.arange(3.0) + i for i in range(5)]),
    "tensors_float32": lambda lib: _tensors(lib, [np.ones((2, 2), np.float32) * i
                                                  for i in range(5)]),
    "tensors_mixed_dtypes": lambda lib: _tensors(lib, [np.arange(2), np.ones(2, np.float32),
                                                       np.ones(2, bool), np.arange(2),
                                                       np.ones(2, np.uint8)]),
    "strings": lambda lib: ["a", "bb", "", "d", "e"],
    "numpy_strings": lambda lib: [np.str_(c) for c in "abcde"],
    "bytes": lambda lib: [b"a", b"b", b"c", b"d", b"e"],
    "tuples": lambda lib: [(i, f"w{i}", i / 4) for i in range(5)],
    "lists": lambda lib: [[i, i * i] for i in range(5)],
    "list_subclass": lambda lib: [Row([i, -i]) for i in range(5)],
    "empty_lists": lambda lib: [[] for _ in range(5)],
    "deques": lambda lib: [collections.deque([i, i + 1]) for i in range(5)],
    "ranges": lambda lib: [range(i, i + 2) for i in range(5)],
    "namedtuples": lambda lib: [Point(np.float32(i) / 2, i) for i in range(5)],
    "dicts": lambda lib: [{"x": np.arange(2.0) + i, "label": i, "name": str(i)}
                          for i in range(5)],
    "ordered_dicts": lambda lib: [collections.OrderedDict(b=i, a=float(i)) for i in range(5)],
    "dicts_later_keys_dropped": lambda lib: [{"a": i} if i % 2 == 0 else {"a": i, "b": i}
                                             for i in range(5)],
    "nested": lambda lib: [{"pair": (np.ones(2) * i, [i, "s"]), "meta": {"id": i,
                            "ok": bool(i % 2), "t": lib.tensor(np.full(2, i, np.int32))}}
                           for i in range(5)],
    "tensor_pairs": lambda lib: [(lib.tensor(np.arange(2.0) * i), i) for i in range(5)],
}


def _same(ours, theirs, torch):
    """Ours against torch's: the same container types, keys and lengths, Tensors of the
    same dtype, shape and values, anything else equal."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), (type(ours), theirs)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert type(ours) is type(theirs), (ours, theirs)
    if isinstance(theirs, collections.abc.Mapping):
        assert list(ours) == list(theirs)
        for key in theirs:
            _same(ours[key], theirs[key], torch)
    elif isinstance(theirs, (list, tuple, collections.deque)):
        assert len(ours) == len(theirs)
        for mine, its in zip(ours, theirs):
            _same(mine, its, torch)
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


def _same_batches(ours, theirs, torch):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for mine, its in zip(ours, theirs):
        _same(mine, its, torch)


class Listed(Dataset):
    """A map-style dataset of a list's samples (a plain class: torch's loader reads it)."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        return self.samples[index]


def _streamed(lib, samples):
    """An IterableDataset (of `lib`'s class: torch's loader tells them by it) of samples."""
    class Streamed(IterableDataset if lib is tg else lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(samples)
    return Streamed()


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_default_collate_matches_torch(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = SAMPLES[kind](tg), SAMPLES[kind](torch)
    for start in range(0, 5, 2):
        _same(default_collate(ours[start:start + 2]),
              torch.utils.data.default_collate(theirs[start:start + 2]), torch)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_loader_batches_match_torch(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = SAMPLES[kind](tg), SAMPLES[kind](torch)
    tdata = torch.utils.data
    _same_batches(DataLoader(ours, batch_size=2, shuffle=False),
                  tdata.DataLoader(theirs, batch_size=2, shuffle=False), torch)
    _same_batches(DataLoader(Listed(ours), batch_size=3, drop_last=True),
                  tdata.DataLoader(Listed(theirs), batch_size=3, drop_last=True), torch)
    _same_batches(DataLoader(_streamed(tg, ours), batch_size=2),
                  tdata.DataLoader(_streamed(torch, theirs), batch_size=2), torch)
    assert len(DataLoader(ours, batch_size=2)) == len(tdata.DataLoader(theirs, batch_size=2))


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_unbatched_loader_and_default_convert_match_torch(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = SAMPLES[kind](tg), SAMPLES[kind](torch)
    tdata = torch.utils.data
    for dataset in (lambda lib, s: s, lambda lib, s: Listed(s), _streamed):
        _same_batches(DataLoader(dataset(tg, ours), batch_size=None),
                      tdata.DataLoader(dataset(torch, theirs), batch_size=None), torch)
    for mine, its in zip(ours, theirs):
        _same(default_convert(mine), tdata.default_convert(its), torch)


def test_a_list_of_lists_is_transposed_as_torchs_not_batched_as_rows():
    batches = list(DataLoader([[1, 2], [3, 4], [5, 6]], batch_size=2))
    assert [[b.tolist() for b in batch] for batch in batches] == [[[1, 3], [2, 4]], [[5], [6]]]
    assert all(type(batch) is list for batch in batches)
    batch = default_collate([(1, "a"), (2, "b")])
    assert type(batch) is list and batch[0].tolist() == [1, 2] and batch[1] == ("a", "b")
    words = ["x", "y"]
    assert default_collate(words) is words  # (strings are kept as given, as torch's)


def test_tensor_dataset_batches_are_lists_as_torchs():
    torch = pytest.importorskip("torch")
    x, y = np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6)
    ours = TensorDataset(x, y)
    theirs = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    for options in (dict(batch_size=4), dict(batch_size=None), dict(batch_size=4,
                                                                    collate_fn=None)):
        _same_batches(DataLoader(ours, **options),
                      torch.utils.data.DataLoader(theirs, **options), torch)
    _same_batches(DataLoader(TensorDataset(x), batch_size=4),
                  torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x)),
                                              batch_size=4), torch)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, bool])
def test_an_array_or_tensor_alone_batches_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    for shape in ((5,), (5, 2)):
        values = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
        for batch_size in (2, None):
            expected = list(torch.utils.data.DataLoader(values, batch_size=batch_size))
            _same_batches(DataLoader(values, batch_size=batch_size), expected, torch)
            _same_batches(DataLoader(tg.tensor(values), batch_size=batch_size), expected,
                          torch)


def test_unbatched_loader_follows_the_sampler_as_torchs():
    torch = pytest.importorskip("torch")
    samples = [np.full(2, i, np.float32) for i in range(5)]
    tdata = torch.utils.data
    _same_batches(DataLoader(samples, batch_size=None, sampler=[3, 0, 4]),
                  tdata.DataLoader(samples, batch_size=None, sampler=[3, 0, 4]), torch)
    ours = DataLoader(samples, batch_size=None, shuffle=True, seed=3)
    assert len(ours) == len(tdata.DataLoader(samples, batch_size=None)) == 5
    assert ours.batch_sampler is None and ours.batch_size is None
    epoch = [float(sample[0].item()) for sample in ours]
    assert sorted(epoch) == [0.0, 1.0, 2.0, 3.0, 4.0]
    again = DataLoader(samples, batch_size=None, shuffle=True, seed=3)
    assert [float(sample[0].item()) for sample in again] == epoch
    seen = DataLoader(samples, batch_size=None, collate_fn=lambda sample: ("got", sample))
    assert [got for got, _ in seen] == ["got"] * 5


@pytest.mark.parametrize("options, words", [
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching "
                                            "and is mutually exclusive with drop_last"),
    (dict(batch_size=None, batch_sampler=[[0]]), "batch_sampler option is mutually exclusive "
                                                 "with batch_size, shuffle, sampler, and "
                                                 "drop_last"),
])
def test_unbatched_loader_refuses_what_torchs_refuses(options, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=re.escape(words)):
        torch.utils.data.DataLoader([1, 2, 3], **options)
    with pytest.raises(ValueError, match="^DataLoader: " + re.escape(words)):
        DataLoader([1, 2, 3], **options)


def test_mixed_numbers_take_the_default_float_dtype_where_torch_takes_its_own():
    torch = pytest.importorskip("torch")
    # (int first, then a float: torch.tensor's inference, with each library's default)
    assert default_collate([1, 2.5]).dtype == tg.get_default_dtype()
    assert torch.utils.data.default_collate([1, 2.5]).dtype == torch.get_default_dtype()
    assert default_collate([1.5, 2]).dtype == np.float64  # (floats first: always float64)
    assert torch.utils.data.default_collate([1.5, 2]).dtype == torch.float64


def _torch_message(torch, make):
    try:
        torch.utils.data.default_collate(make(torch))
    except Exception as error:  # noqa: BLE001  (its type is what the test compares)
        return type(error), str(error)
    raise AssertionError("torch's default_collate did not raise")


ERRORS = [
    (lambda lib: [None, None], TypeError, "batch must contain tensors, numpy arrays, numbers, "
     "dicts or lists; found <class 'NoneType'>"),
    (lambda lib: [{1}, {2}], TypeError, "found <class 'set'>"),
    (lambda lib: [1j, 2j], TypeError, "found <class 'complex'>"),
    (lambda lib: [np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    (lambda lib: [np.array([None]), np.array([None])], TypeError, "found object"),
    (lambda lib: [np.array([b"a"]), np.array([b"b"])], TypeError, "found |S1"),
    (lambda lib: [(1, None), (2, None)], TypeError, "field [1] of the samples"),
    (lambda lib: [[1, 2], [3]], RuntimeError, "sample 1 of the batch has length 1, but sample 0 "
     "has length 2; each element in list of batch should be of equal size"),
    (lambda lib: [{"k": (1, 2)}, {"k": (3, 4, 5)}], RuntimeError, "in field ['k']"),
    (lambda lib: [np.zeros(2), np.zeros(3)], RuntimeError, "different shapes [(2,), (3,)] in "
     "the samples (stack expects each tensor to be equal size, but got (2,) at entry 0 and "
     "(3,) at entry 1)"),
    (lambda lib: [lib.zeros(2), lib.zeros(2), lib.zeros(1, 2)], RuntimeError, "got (2,) at "
     "entry 0 and (1, 2) at entry 2"),
    (lambda lib: [lib.zeros(2), np.zeros(2)], TypeError, "expected Tensor as element 1 of "
     "the batch, but got ndarray"),
    (lambda lib: [{"a": 1, "b": 2}, {"a": 3}], KeyError, "sample 1 of the batch has keys "
     "['a'], but sample 0 has keys ['a', 'b'] (no key 'b')"),
    (lambda lib: [{"a": 1}, [1]], TypeError, "sample 1 of the batch is a list, but sample 0 "
     "is a mapping"),
    (lambda lib: [], IndexError, "got an empty list of samples"),
    (lambda lib: [2 ** 63, 1], ValueError, "Overflow when unpacking long long"),
    (lambda lib: [1, "a"], TypeError, "sample 1 is str 'a', but sample 0 is a number"),
    (lambda lib: [1.0, None], TypeError, "sample 1 is NoneType None"),
]


@pytest.mark.parametrize("make, error, words", ERRORS)
def test_errors_are_torchs_types_in_one_line(make, error, words):
    torch = pytest.importorskip("torch")
    kind, _ = _torch_message(torch, make)
    assert issubclass(kind, error)
    with pytest.raises(error) as info:
        default_collate(make(tg))
    message = info.value.args[0]
    assert message.startswith("default_collate: ") and words in message
    assert "\n" not in message
    if make(tg):  # (through a loader: named DataLoader)
        with pytest.raises(error, match=re.escape(words)) as info:
            next(iter(DataLoader(Listed(make(tg)), batch_size=len(make(tg)))))
        assert info.value.args[0].startswith("DataLoader: ")


def test_torchs_own_messages_are_in_ours():
    torch = pytest.importorskip("torch")
    for make in (lambda lib: [None, None], lambda lib: [np.array(["a"]), np.array(["b"])]):
        _, theirs = _torch_message(torch, make)
        with pytest.raises(TypeError) as info:
            default_collate(make(tg))
        assert theirs.removeprefix("default_collate: ") in str(info.value)
    _, theirs = _torch_message(torch, lambda lib: [[1, 2], [3]])
    with pytest.raises(RuntimeError, match=re.escape(theirs)):
        default_collate([[1, 2], [3]])


@pytest.mark.parametrize("batch", [3, iter([1, 2]), "ab"])
def test_a_batch_that_is_no_list_of_samples_is_refused(batch):
    with pytest.raises(TypeError, match=r"^default_collate: batch must be a list of samples, "
                                        r"got (int|list_iterator|str)"):
        default_collate(batch)


@pytest.mark.parametrize("samples", [[np.complex128(1), np.complex128(2j)],
                                     [np.ones(2, complex), np.ones(2, complex)]])
def test_complex_samples_are_refused_in_one_line(samples):
    # (a departure: torch collates them; there are no complex dtypes here)
    with pytest.raises(TypeError, match=r"^default_collate: .*complex") as info:
        default_collate(samples)
    assert "\n" not in str(info.value)


def test_default_convert_keeps_what_torchs_keeps():
    torch = pytest.importorskip("torch")
    words = np.array(["a", "b"])
    assert default_convert(words) is words
    for value in (3, 2.5, "ab", None, b"x", np.str_("s")):
        assert default_convert(value) == torch.utils.data.default_convert(value)
        assert type(default_convert(value)) is type(torch.utils.data.default_convert(value))
    tensor = tg.ones(2)
    assert default_convert(tensor) is tensor
    _same(default_convert(range(3)), torch.utils.data.default_convert(range(3)), torch)


def test_collated_tensors_that_require_grad_pass_gradients_back():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    values = [rng.normal(size=3) for _ in range(3)]
    weights = rng.normal(size=(3, 3))

    def loss(lib, a, b, c):
        batch = lib.utils.data.default_collate([{"x": a, "n": 1}, {"x": b, "n": 2},
                                                {"x": c, "n": 3}])
        return (batch["x"] * lib.tensor(weights) * batch["n"].reshape(3, 1)).sum()

    ours = [tg.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    assert tg.gradcheck(lambda a, b, c: loss(tg, a, b, c), ours)
    loss(tg, *ours).backward()
    loss(torch, *theirs).backward()
    for mine, its in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), its.grad.numpy())
