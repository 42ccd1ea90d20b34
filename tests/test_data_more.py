"""Tests of PyTorch's torch.utils.data features beyond the basic loader, each compared with
torch: DataLoader's collate_fn, sampler and batch_sampler (and their mutual-exclusion
errors), default_collate (namedtuples, dicts, structure errors, gradients), the samplers
(SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
BatchSampler) and the datasets Subset, ConcatDataset and StackDataset."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import creation

torch = pytest.importorskip("torch")
tdata = torch.utils.data
pytestmark = pytest.mark.torch

Point = collections.namedtuple("Point", "x label")


class Samples(tg.data.Dataset):
    """Samples made by `make(i)`, for i < n (a plain class: torch's loader reads it too)."""

    def __init__(self, make, n=7):
        self.make, self.n = make, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.make(i % self.n)


def _numpy(batch):
    """A batch of ours or torch's as nested Python containers of ndarrays (types kept)."""
    if isinstance(batch, dict):
        return {key: _numpy(value) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_numpy(v) for v in batch))
    if isinstance(batch, (tuple, list)):
        return [_numpy(v) for v in batch]  # (torch's tuples collate to lists: compared alike)
    if isinstance(batch, (str, bytes)):
        return batch
    return np.asarray(batch.detach().numpy() if isinstance(batch, torch.Tensor) else batch)


def _assert_same(ours, theirs):
    ours, theirs = _numpy(ours), _numpy(theirs)
    assert type(ours) is type(theirs)
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            _assert_same(ours[key], theirs[key])
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif isinstance(ours, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


SAMPLES = {
    "numbers": lambda i: (float(i), i, bool(i % 2)),
    "arrays float32": lambda i: np.full((2, 3), i, dtype=np.float32),
    "namedtuple": lambda i: Point(np.arange(3.0) * i, i),
    "dict with strings": lambda i: {"x": np.full(2, float(i)), "name": f"s{i}", "raw": b"r"},
    "nested": lambda i: {"pair": (np.int64(i), [np.float32(i), {"deep": float(-i)}])},
}


# ------------------------------------------------------------------ default_collate


@pytest.mark.parametrize("kind", SAMPLES)
def test_default_collate_matches_torch(kind):
    samples = [SAMPLES[kind](i) for i in range(4)]
    torch_samples = [SAMPLES[kind](i) for i in range(4)]
    _assert_same(tg.data.default_collate(samples), tdata.default_collate(torch_samples))


@pytest.mark.parametrize("kind", SAMPLES)
def test_loader_batches_match_torch_and_default_collate(kind):
    dataset = Samples(SAMPLES[kind])
    ours = list(tg.data.DataLoader(dataset, batch_size=3))
    theirs = list(tdata.DataLoader(dataset, batch_size=3))
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        _assert_same(a, b)
    explicit = list(tg.data.DataLoader(dataset, batch_size=3,
                                       collate_fn=tg.data.default_collate))
    for a, b in zip(explicit, ours):
        _assert_same(a, b)


def test_namedtuple_and_dict_samples_keep_their_container_type():
    batch = tg.data.default_collate([Point(1.0, 2), Point(3.0, 4)])
    assert type(batch) is Point and type(tdata.default_collate([Point(1.0, 2)])) is Point
    ordered = tg.data.default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert type(ordered) is collections.OrderedDict and list(ordered) == ["b", "a"]


def test_tuple_samples_give_lists_as_torchs():
    ours = tg.data.default_collate([(1.0, 2), (3.0, 4)])
    theirs = tdata.default_collate([(1.0, 2), (3.0, 4)])
    assert isinstance(ours, list) and isinstance(theirs, list)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("samples, torch_error, match", [
    ([{"a": 1, "b": 2}, {"a": 3}], KeyError,
     r"default_collate: sample 1 of the batch has keys \['a'\], but sample 0 has keys "
     r"\['a', 'b'\] \(no key 'b'\)"),
    ([(1, 2), (3,)], RuntimeError,
     r"^default_collate: sample 1 of the batch has length 1, but sample 0 has length 2;"),
    ([{"k": (1, 2)}, {"k": (3, 4, 5)}], RuntimeError,
     r"^default_collate: sample 1 .* has length 3, but sample 0 has length 2 in field "
     r"\['k'\];"),
])
def test_samples_of_different_structure_are_refused_in_one_line(samples, torch_error, match):
    with pytest.raises(torch_error):
        tdata.default_collate(samples)
    with pytest.raises(torch_error, match=match) as err:
        tg.data.default_collate(samples)
    assert "\n" not in str(err.value)


def test_a_loader_names_itself_in_a_structure_error():
    dataset = Samples(lambda i: {"a": i} if i else {"a": i, "b": i})
    with pytest.raises(KeyError, match=r"DataLoader: sample 1 of the batch has keys \['a'\]"):
        next(iter(tg.data.DataLoader(dataset, batch_size=2)))


def test_default_collate_errors():
    with pytest.raises(IndexError, match=r"^default_collate: got an empty list of samples"):
        tg.data.default_collate([])
    with pytest.raises(TypeError, match=r"^default_collate: batch must be a list of samples, "
                                        r"got int"):
        tg.data.default_collate(3)
    with pytest.raises(ValueError, match=r"^default_collate: the samples of a batch have "
                                         r"different shapes \[\(2,\), \(3,\)\] in the samples"):
        tg.data.default_collate([np.zeros(2), np.zeros(3)])


@pytest.mark.parametrize("shape", [(), (3,), (2, 0)])
def test_collated_tensors_that_require_grad_stay_in_the_graph(shape):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for _ in range(3)]
    weights = rng.standard_normal((3, *shape))
    assert tg.gradcheck(lambda a, b, c: tg.data.default_collate([a, b, c]) * weights,
                        [tg.tensor(v, requires_grad=True) for v in values])
    ours = [tg.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    (tg.data.default_collate(ours) * weights).sum().backward()
    (tdata.default_collate(theirs) * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())


def test_float32_samples_stay_float32_in_the_graph_too():
    x = tg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    batch = tg.data.default_collate([x, x])
    assert batch.dtype == np.float32
    assert tdata.default_collate([torch.ones(2), torch.ones(2)]).dtype == torch.float32


# ------------------------------------------------------------------ DataLoader options


LOADER_INPUTS = {
    "bare array": (lambda x, y: (x,), lambda x, y: tdata.TensorDataset(torch.tensor(x))),
    "arrays": (lambda x, y: (x, y),
               lambda x, y: tdata.TensorDataset(torch.tensor(x), torch.tensor(y))),
    "TensorDataset": (lambda x, y: (tg.data.TensorDataset(x, y),),
                      lambda x, y: tdata.TensorDataset(torch.tensor(x), torch.tensor(y))),
    "own dataset": (lambda x, y: (Samples(lambda i: (x[i], y[i]), 7),),
                    lambda x, y: Samples(lambda i: (x[i], y[i]), 7)),
}


def _inputs():
    return np.arange(14, dtype=np.float32).reshape(7, 2), np.arange(7) * 10


def _compare_epochs(kind, ours_kw, theirs_kw, unwrap=True):
    x, y = _inputs()
    ours_args, theirs_dataset = LOADER_INPUTS[kind]
    ours = tg.data.DataLoader(*ours_args(x, y), **ours_kw)
    theirs = tdata.DataLoader(theirs_dataset(x, y), **theirs_kw)
    assert len(ours) == len(theirs)
    got, expected = list(ours), list(theirs)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        if kind == "bare array" and unwrap:
            b = b[0]  # (a bare array yields bare batches; torch has no such spelling)
        _assert_same(a, b)


@pytest.mark.parametrize("kind", LOADER_INPUTS)
@pytest.mark.parametrize("order", [[6, 0, 3, 3, 1], [], [2, -1]])
def test_sampler_gives_the_order_as_torch(kind, order):
    _compare_epochs(kind, dict(batch_size=2, sampler=order), dict(batch_size=2, sampler=order))
    _compare_epochs(kind, dict(batch_size=2, sampler=order, drop_last=True),
                    dict(batch_size=2, sampler=order, drop_last=True))


@pytest.mark.parametrize("kind", LOADER_INPUTS)
def test_batch_sampler_gives_the_batches_as_torch(kind):
    batches = [[4, 1, 2], [0], [6, 5]]
    _compare_epochs(kind, dict(batch_sampler=batches), dict(batch_sampler=batches))
    ours = tg.data.DataLoader(*LOADER_INPUTS[kind][0](*_inputs()), batch_sampler=batches)
    assert ours.batch_size is None and ours.batch_sampler is batches


@pytest.mark.parametrize("kind", LOADER_INPUTS)
def test_collate_fn_receives_the_list_of_samples_as_torchs(kind):
    def first_fields(samples):
        return [np.asarray(s[0] if isinstance(s, tuple) else s).tolist() for s in samples]

    _compare_epochs(kind, dict(batch_size=3, collate_fn=first_fields),
                    dict(batch_size=3, collate_fn=first_fields), unwrap=False)


def test_samplers_drive_the_loader_and_attributes_are_torchs():
    x, _ = _inputs()
    sampler = tg.data.SequentialSampler(x)
    loader = tg.data.DataLoader(x, batch_size=3, sampler=sampler)
    assert loader.sampler is sampler and loader.collate_fn is tg.data.default_collate
    assert [b.tolist() for b in loader] == [r.tolist() for r in np.split(x, [3, 6])]
    default = tg.data.DataLoader(x, batch_size=3, shuffle=True, seed=0)
    assert isinstance(default.sampler, tg.data.RandomSampler)
    assert isinstance(default.batch_sampler, tg.data.BatchSampler)
    assert isinstance(tdata.DataLoader(x, batch_size=3).sampler, tdata.SequentialSampler)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler=[0, 1], shuffle=True), r"^DataLoader: sampler option is mutually exclusive "
                                         r"with shuffle; "),
    *[(dict(batch_sampler=[[0, 1]], **extra),
       r"^DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
       r"sampler, and drop_last; ")
      for extra in (dict(batch_size=2), dict(shuffle=True), dict(sampler=[0]),
                    dict(drop_last=True))],
])
def test_mutually_exclusive_options_raise_torchs_error(kwargs, match):
    with pytest.raises(ValueError, match=match.replace("DataLoader: ", "")[:-2] + "$"):
        tdata.DataLoader(np.zeros(3), **kwargs)
    with pytest.raises(ValueError, match=match) as err:
        tg.data.DataLoader(np.zeros(3), **kwargs)
    assert "\n" not in str(err.value)


def test_bad_sampler_collate_fn_and_indices_are_refused_in_one_line():
    with pytest.raises(TypeError, match=r"^DataLoader: sampler must be a sampler or an "
                                        r"iterable of indices, got int"):
        tg.data.DataLoader(np.zeros(3), sampler=3)
    with pytest.raises(TypeError, match=r"^DataLoader: collate_fn must be a function"):
        tg.data.DataLoader(np.zeros(3), collate_fn="stack")
    with pytest.raises(IndexError, match=r"^DataLoader: the sampler gave index 5, out of range "
                                         r"for 3 samples"):
        list(tg.data.DataLoader(np.zeros(3), sampler=[0, 5]))
    with pytest.raises(IndexError):
        list(tdata.DataLoader(tdata.TensorDataset(torch.zeros(3)), sampler=[0, 5]))
    with pytest.raises(TypeError, match=r"^DataLoader: the sampler gave indices \[0.5\]"):
        list(tg.data.DataLoader(np.zeros(3), sampler=[0.5]))
    with pytest.raises(TypeError, match=r"^DataLoader: each batch of the batch_sampler must be "
                                        r"a list of indices, got 1"):
        list(tg.data.DataLoader(np.zeros(3), batch_sampler=[1, 2]))
    with pytest.raises(TypeError):
        list(tdata.DataLoader(np.zeros(3), batch_sampler=[1, 2]))
    endless = (i % 3 for i in range(6))  # an iterable without a length
    with pytest.raises(TypeError):
        len(tdata.DataLoader(np.zeros(3), sampler=(i % 3 for i in range(6))))
    with pytest.raises(TypeError, match=r"^DataLoader: its batch_sampler or sampler"):
        len(tg.data.DataLoader(np.zeros(3), batch_sampler=([i] for i in endless)))


# ------------------------------------------------------------------ samplers


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True),
                                                      (9, 3, True), (0, 2, False)])
def test_sequential_and_batch_samplers_match_torch(n, batch_size, drop_last):
    ours = tg.data.BatchSampler(tg.data.SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(tg.data.SequentialSampler(range(n))) == list(tdata.SequentialSampler(range(n)))


@pytest.mark.parametrize("replacement, num_samples", [(False, None), (False, 25), (False, 4),
                                                      (True, None), (True, 33)])
def test_random_sampler_length_coverage_and_seeding(replacement, num_samples):
    ours = tg.data.RandomSampler(range(10), replacement, num_samples, seed=5)
    theirs = tdata.RandomSampler(range(10), replacement, num_samples)
    first, again = list(ours), list(ours)
    assert len(ours) == len(theirs) == len(first) == len(list(theirs))
    assert first != again  # each pass continues the generator's stream
    assert all(isinstance(i, int) and 0 <= i < 10 for i in first)
    if not replacement:  # whole permutations, then a part of one (torch's rule)
        for start in range(0, len(first), 10):
            assert len(set(first[start:start + 10])) == len(first[start:start + 10])
    repeat = tg.data.RandomSampler(range(10), replacement, num_samples,
                                   generator=np.random.default_rng(5))
    assert list(repeat) == first and list(repeat) == again


def test_unseeded_samplers_follow_manual_seed(monkeypatch):
    monkeypatch.setattr(creation, "_seeded", [None, None])  # (undone after the test)
    samplers = [tg.data.RandomSampler(range(20)), tg.data.SubsetRandomSampler(range(5, 25)),
                tg.data.WeightedRandomSampler(np.arange(20.0), 10)]
    tg.manual_seed(3)
    first = [list(s) for s in samplers]
    tg.manual_seed(3)
    assert [list(s) for s in samplers] == first
    assert [list(s) for s in samplers] != first


def test_subset_random_sampler_covers_its_indices():
    indices = [7, 3, 11, 20, 4]
    ours = tg.data.SubsetRandomSampler(indices, generator=np.random.default_rng(0))
    theirs = tdata.SubsetRandomSampler(indices)
    assert sorted(ours) == sorted(theirs) == sorted(indices) and len(ours) == len(theirs)
    assert list(tg.data.SubsetRandomSampler(indices, seed=1)) == list(
        tg.data.SubsetRandomSampler(indices, generator=np.random.default_rng(1)))


@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_sampler_frequencies_match_torch(replacement):
    weights = [0.0, 1.0, 2.0, 3.0, 4.0]
    passes = 4000
    ours = tg.data.WeightedRandomSampler(weights, 2, replacement, seed=0)
    theirs = tdata.WeightedRandomSampler(weights, 2, replacement,
                                         generator=torch.Generator().manual_seed(0))
    assert len(ours) == len(theirs) == 2
    ours_draws = np.array([list(ours) for _ in range(passes)])
    theirs_draws = np.array([list(theirs) for _ in range(passes)])
    assert not (ours_draws == 0).any()  # a zero weight is never drawn
    if not replacement:
        assert (ours_draws[:, 0] != ours_draws[:, 1]).all()
    for position in range(2):  # each draw position's frequencies, ours against torch's
        a = np.bincount(ours_draws[:, position], minlength=5) / passes
        b = np.bincount(theirs_draws[:, position], minlength=5) / passes
        np.testing.assert_allclose(a, b, atol=0.035)
    if replacement:
        np.testing.assert_allclose(np.bincount(ours_draws.ravel(), minlength=5) / passes / 2,
                                   np.array(weights) / 10, atol=0.02)


@pytest.mark.parametrize("make, error, match", [
    (lambda m: m.RandomSampler(range(3), replacement=1), TypeError,
     r"replacement should be a boolean value, but got replacement=1"),
    (lambda m: m.RandomSampler(range(3), num_samples=0), ValueError,
     r"num_samples should be a positive integer value, but got num_samples=0"),
    (lambda m: m.RandomSampler([]), ValueError,
     r"num_samples should be a positive integer value, but got num_samples=0"),
    (lambda m: m.WeightedRandomSampler([1.0], True), ValueError,
     r"num_samples should be a positive integer value, but got num_samples=True"),
    (lambda m: m.WeightedRandomSampler([1.0], 1, replacement="no"), ValueError,
     r"replacement should be a boolean value, but got replacement='?no'?"),
    (lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 1), ValueError,
     r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
    (lambda m: m.BatchSampler(range(3), 0, False), ValueError,
     r"batch_size should be a positive integer value, but got batch_size=0"),
    (lambda m: m.BatchSampler(range(3), 2, None), ValueError,
     r"drop_last should be a boolean value, but got drop_last=None"),
])
def test_sampler_argument_errors_are_torchs(make, error, match):
    with pytest.raises(error, match=match):
        make(tdata)
    with pytest.raises(error, match=rf"^[A-Za-z]+Sampler: {match}") as err:
        make(tg.data)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("weights, num_samples, replacement, match", [
    ([1.0, -1.0], 1, True, r"weights must be finite and >= 0 with a positive sum"),
    ([0.0, 0.0], 1, True, r"weights must be finite and >= 0 with a positive sum"),
    ([1.0, np.inf], 1, True, r"weights must be finite"),
    ([1.0, 0.0, 2.0], 3, False, r"cannot draw num_samples=3 without replacement from 2 "
                                r"nonzero weights"),
])
def test_weights_torch_refuses_at_the_first_draw_are_refused_when_made(weights, num_samples,
                                                                       replacement, match):
    if replacement:
        with pytest.raises(RuntimeError):
            list(tdata.WeightedRandomSampler(weights, num_samples, replacement))
    else:  # torch's draws the zero-weight index once the others are used up
        assert 1 in list(tdata.WeightedRandomSampler(weights, num_samples, replacement))
    with pytest.raises(ValueError, match=rf"^WeightedRandomSampler: {match}"):
        tg.data.WeightedRandomSampler(weights, num_samples, replacement)


def test_sampler_generator_must_be_numpys():
    with pytest.raises(TypeError, match=r"^RandomSampler: generator must be a "
                                        r"numpy.random.Generator"):
        tg.data.RandomSampler(range(3), generator=torch.Generator())


# ------------------------------------------------------------------ datasets


def test_random_split_gives_subsets_as_torch():
    parts = tg.data.random_split(range(10), [3, 7], seed=0)
    assert all(isinstance(p, tg.data.Subset) for p in parts)
    assert all(isinstance(p, tdata.Subset) for p in tdata.random_split(range(10), [3, 7]))
    subset, their_subset = tg.data.Subset(range(10), [4, 2]), tdata.Subset(range(10), [4, 2])
    assert [subset[0], subset[1], len(subset)] == [their_subset[0], their_subset[1], 2]


def _concat_parts(m):
    x = np.arange(6.0).reshape(3, 2)
    tensors = m.TensorDataset(x if m is tg.data else torch.tensor(x))
    return [tensors, [10, 11], Samples(lambda i: {"k": i}, 2)]


def test_concat_dataset_matches_torch():
    ours, theirs = tg.data.ConcatDataset(_concat_parts(tg.data)), tdata.ConcatDataset(
        _concat_parts(tdata))
    assert len(ours) == len(theirs) == 7 and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-7, 7):
        _assert_same(ours[i], theirs[i])
    added = _concat_parts(tg.data)[0] + _concat_parts(tg.data)[0]
    assert isinstance(added, tg.data.ConcatDataset) and len(added) == 6
    batches = list(tg.data.DataLoader(tg.data.ConcatDataset([[1.0, 2.0], [3.0]]), batch_size=2))
    _assert_same(batches, list(tdata.DataLoader(tdata.ConcatDataset([[1.0, 2.0], [3.0]]),
                                                batch_size=2)))


def test_concat_dataset_errors():
    with pytest.raises(AssertionError):
        tdata.ConcatDataset([])
    with pytest.raises(ValueError, match=r"^ConcatDataset: datasets should not be an empty "
                                         r"iterable"):
        tg.data.ConcatDataset([])
    with pytest.raises(TypeError, match=r"^ConcatDataset: dataset 1 is a int, which has no "
                                        r"__len__"):
        tg.data.ConcatDataset([[1], 3])
    concat = tg.data.ConcatDataset([[1], [2, 3]])
    with pytest.raises(IndexError):
        tdata.ConcatDataset([[1], [2, 3]])[3]
    for index in (3, -4):
        with pytest.raises(IndexError, match=rf"^ConcatDataset: index {index} is out of range "
                                             rf"for 3 samples"):
            concat[index]
    with pytest.raises(TypeError, match=r"^ConcatDataset: an index must be an int, got slice"):
        concat[0:2]


def test_stack_dataset_matches_torch():
    x, y = np.arange(4.0), ["a", "b", "c", "d"]
    for args, kwargs in (((x, y), {}), ((), dict(x=x, y=y))):
        ours, theirs = tg.data.StackDataset(*args, **kwargs), tdata.StackDataset(*args, **kwargs)
        assert len(ours) == len(theirs) == 4
        for i in range(4):
            assert ours[i] == theirs[i]
        _assert_same(next(iter(tg.data.DataLoader(ours, batch_size=3))),
                     next(iter(tdata.DataLoader(theirs, batch_size=3))))


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((np.zeros(2),), dict(y=np.zeros(2)), ValueError,
     r"give datasets either by position .* not both"),
    ((), {}, ValueError, r"at least one dataset should be passed"),
    ((np.zeros(2), np.zeros(3)), {}, ValueError, r"size mismatch between datasets: lengths "
                                                 r"\{0: 2, 1: 3\}"),
])
def test_stack_dataset_errors(args, kwargs, error, match):
    with pytest.raises(error):
        tdata.StackDataset(*args, **kwargs)
    with pytest.raises(error, match=rf"^StackDataset: {match}"):
        tg.data.StackDataset(*args, **kwargs)


# Final read fixes


def test_a_concat_dataset_takes_the_0d_tensor_indices_a_subset_random_sampler_yields():
    ours, theirs = tg.data.ConcatDataset([[1, 2], [3]]), tdata.ConcatDataset([[1, 2], [3]])
    assert ours[tg.tensor(2)] == theirs[torch.tensor(2)] == 3
    assert ours[np.int64(-1)] == 3
    sampler = tg.data.SubsetRandomSampler(tg.tensor([0, 2]), seed=0)
    assert all(isinstance(i, tg.Tensor) and i.ndim == 0 for i in sampler)  # as torch's
    batches = list(tg.data.DataLoader(ours, sampler=sampler, batch_size=2))
    assert len(batches) == 1 and sorted(batches[0].numpy().tolist()) == [1, 3]
    tbatches = list(tdata.DataLoader(theirs, sampler=tdata.SubsetRandomSampler(
        torch.tensor([0, 2])), batch_size=2))
    assert sorted(tbatches[0].tolist()) == [1, 3]


@pytest.mark.parametrize("index", [tg.tensor(1.0), tg.tensor([1]), 2.0, True])
def test_a_concat_dataset_refuses_an_index_operator_index_refuses_in_one_line(index):
    with pytest.raises(TypeError, match=r"^ConcatDataset: an index must be an int, got .*; "
                                        r"a 0-d integer Tensor serves too$") as err:
        tg.data.ConcatDataset([[1, 2], [3]])[index]
    assert "\n" not in str(err.value)


class _Sized:
    def __len__(self):
        return 3


def test_a_dataset_has_no_len_of_its_own_so_a_mixins_counts_as_torchs():
    class Ours(tg.data.Dataset, _Sized):
        def __getitem__(self, i):
            return float(i)

    class Theirs(tdata.Dataset, _Sized):
        def __getitem__(self, i):
            return float(i)

    assert len(Ours()) == len(Theirs()) == 3
    assert not hasattr(tg.data.Dataset, "__len__") and not hasattr(tdata.Dataset, "__len__")
    assert [b.numpy().tolist() for b in tg.data.DataLoader(Ours(), batch_size=2)] == \
        [b.tolist() for b in tdata.DataLoader(Theirs(), batch_size=2)] == [[0.0, 1.0], [2.0]]


def test_a_loader_refuses_a_dataset_without_len_in_one_line():
    class Lengthless(tg.data.Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match=r"^DataLoader: the dataset \(Lengthless\) defines no "
                                        r"__len__, the number of its samples; define __len__$"):
        tg.data.DataLoader(Lengthless(), batch_size=2)
    with pytest.raises(TypeError, match=r"^ConcatDataset: dataset 0 is a Lengthless, which has "
                                        r"no __len__"):
        tg.data.ConcatDataset([Lengthless()])


@pytest.mark.parametrize("kwargs", [
    dict(sampler=[2, 0, 1], seed=0),
    dict(batch_sampler=[[2, 0], [1]], seed=3),
])
def test_a_loader_refuses_a_seed_a_sampler_would_ignore(kwargs):
    # (the sampler draws the order: a seed beside it would be silently ignored; PyTorch's
    # generator= is accepted there, as PyTorch's: test_a_loader_takes_a_generator_...)
    with pytest.raises(ValueError, match=r"^DataLoader: seed= is for shuffle=True, but a "
                                         r"sampler sets the order here; "
                                         r"give the seed to the sampler") as err:
        tg.data.DataLoader(np.arange(3.0), **kwargs)
    assert "\n" not in str(err.value)
    seeded = tg.data.RandomSampler(range(3), seed=0)  # the seed given where it rules
    twice = [[int(i) for i in tg.data.RandomSampler(range(3), seed=0)] for _ in range(2)]
    assert [b.numpy().tolist() for b in tg.data.DataLoader(np.arange(3.0), sampler=seeded,
                                                            batch_size=3)] == [twice[0]]


# Last read fixes


def test_a_loader_refuses_an_iterable_style_dataset_in_one_line():
    class It:
        def __iter__(self):
            return iter(range(3))

    words = (r"has neither __len__ nor __getitem__; subclass tg.data.IterableDataset to "
             r"stream it, or give a map-style dataset$")
    with pytest.raises(TypeError, match=r"^DataLoader: It " + words):
        tg.data.DataLoader(It(), batch_size=2)
    with pytest.raises(TypeError, match=r"^DataLoader: generator " + words):
        tg.data.DataLoader((i for i in range(3)), batch_size=2)
    with pytest.raises(TypeError, match=r"^TensorDataset: It " + words):
        tg.data.TensorDataset(It())


def test_a_loader_takes_a_generator_beside_a_sampler_as_torch():
    ds = tg.data.TensorDataset(np.arange(4.0))
    for kwargs in (dict(sampler=[2, 0]), dict(batch_sampler=[[3, 1], [0]])):
        loader = tg.data.DataLoader(ds, generator=np.random.default_rng(0), **kwargs)
        theirs = torch.utils.data.DataLoader(torch.arange(4.0), generator=torch.Generator(),
                                             **kwargs)
        assert [b[0].numpy().tolist() for b in loader] == [b.tolist() for b in theirs]


def test_random_split_refuses_a_dataset_without_len_in_one_line():
    class NoLen:
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match=r"^random_split: the dataset \(NoLen\) defines no "
                                        r"__len__, the number of its samples; define __len__$"):
        tg.data.random_split(NoLen(), [1, 1])

