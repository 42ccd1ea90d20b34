"""Tests of tg.data's iterable-style datasets: IterableDataset, ChainDataset (and `+`),
get_worker_info, and DataLoader over a stream (batches in the iterator's order,
batch_size=None, drop_last, collate_fn, len(), PyTorch's ValueErrors), each against
PyTorch 2.13's torch.utils.data on the same plain Python data, with the errors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.data import ChainDataset, DataLoader, IterableDataset


def _plain(batch):
    """A batch as plain Python values (tuples and lists alike), to compare frameworks."""
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return [_plain(value) for value in batch]
    if hasattr(batch, "detach"):  # a torch tensor
        batch = batch.detach().numpy()
    if isinstance(batch, (tg.Tensor, np.ndarray, np.generic)):
        array = np.asarray(batch)
        return (array.dtype.kind, array.tolist())
    return batch


def _streams(base):
    """The same streams, subclassing `base` (tg's or torch's IterableDataset)."""

    class Numbers(base):
        """0.0, 1.0, ... n - 1, with a length."""

        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter([float(i) for i in range(self.n)])

        def __len__(self):
            return self.n

    class Pairs(base):
        """(features, label) pairs from a generator, without a length."""

        def __init__(self, n):
            self.n = n

        def __iter__(self):
            for i in range(self.n):
                yield np.array([i, -i / 2]), i % 3

    class Records(base):
        """Dicts holding a number, an array and a string."""

        def __iter__(self):
            for i in range(5):
                yield {"x": np.full(2, i, np.float32), "y": i * 1.5, "name": f"s{i}"}

    return Numbers, Pairs, Records


CASES = [("Numbers", (7,)), ("Pairs", (5,)), ("Records", ()), ("Numbers", (0,))]
OPTIONS = [dict(batch_size=1), dict(batch_size=3), dict(batch_size=3, drop_last=True),
           dict(batch_size=5, drop_last=True), dict(batch_size=None), dict()]


@pytest.mark.parametrize("kind, args", CASES, ids=[f"{k}{a}" for k, a in CASES])
@pytest.mark.parametrize("options", OPTIONS, ids=[str(sorted(o.items())) for o in OPTIONS])
def test_batches_are_pytorchs_in_the_iterators_order(kind, args, options):
    torch = pytest.importorskip("torch")
    ours_kind = dict(zip(("Numbers", "Pairs", "Records"), _streams(IterableDataset)))[kind]
    theirs_kind = dict(zip(("Numbers", "Pairs", "Records"),
                           _streams(torch.utils.data.IterableDataset)))[kind]
    ours = DataLoader(ours_kind(*args), **options)
    theirs = torch.utils.data.DataLoader(theirs_kind(*args), **options)
    for _ in range(2):  # each epoch a fresh iterator
        assert _plain(list(ours)) == _plain(list(theirs))
    if hasattr(theirs_kind, "__len__"):
        assert len(ours) == len(theirs)
    assert (ours.batch_size, ours.drop_last) == (theirs.batch_size, theirs.drop_last)


def test_float32_and_integer_samples_keep_their_dtype():
    _, Pairs, Records = _streams(IterableDataset)
    features, labels = next(iter(DataLoader(Pairs(4), batch_size=4)))
    assert features.dtype == np.float64 and labels.dtype == np.int64
    assert labels.tolist() == [0, 1, 2, 0] and features.shape == (4, 2)
    record = next(iter(DataLoader(Records(), batch_size=2)))
    assert record["x"].dtype == np.float32 and record["name"] == ["s0", "s1"]


def test_unbatched_samples_are_converted_as_pytorchs_default_convert():
    _, Pairs, _ = _streams(IterableDataset)
    features, label = next(iter(DataLoader(Pairs(2), batch_size=None)))
    assert isinstance(features, tg.Tensor) and features.shape == (2,)
    assert label == 0 and isinstance(label, int)  # a Python number stays one


def test_default_convert_is_pytorchs():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_convert as theirs_convert
    sample = {"x": np.arange(3.0), "n": np.int64(4), "words": np.array(["a", "b"]),
              "pair": [np.ones(2, np.float32), 7], "name": "seven"}
    ours, theirs = tg.data.default_convert(sample), theirs_convert(sample)
    assert set(ours) == set(theirs) and ours["name"] == theirs["name"] == "seven"
    for key in ("x", "n"):
        assert isinstance(ours[key], tg.Tensor) and isinstance(theirs[key], torch.Tensor)
        assert ours[key].tolist() == theirs[key].tolist()
    assert ours["x"].dtype == np.float64 and str(theirs["x"].dtype) == "torch.float64"
    assert isinstance(ours["words"], np.ndarray) and isinstance(theirs["words"], np.ndarray)
    assert ours["pair"][0].dtype == np.float32 and ours["pair"][1] == theirs["pair"][1] == 7
    assert isinstance(tg.data.default_convert((np.ones(1), 2)), list)  # as PyTorch's


def test_collate_fn_gets_the_list_of_a_batch_or_each_sample_unbatched():
    torch = pytest.importorskip("torch")
    Numbers, _, _ = _streams(IterableDataset)
    TorchNumbers, _, _ = _streams(torch.utils.data.IterableDataset)
    for options in (dict(batch_size=3), dict(batch_size=None), dict(batch_size=2,
                                                                    drop_last=True)):
        ours = DataLoader(Numbers(5), collate_fn=lambda b: ("got", b), **options)
        theirs = torch.utils.data.DataLoader(TorchNumbers(5), collate_fn=lambda b: ("got", b),
                                             **options)
        assert list(ours) == list(theirs)


def test_the_iterator_is_made_when_the_epoch_starts_as_pytorchs():
    made = []

    class Counted(IterableDataset):
        def __iter__(self):
            made.append(len(made))
            return iter(range(4))

    loader = DataLoader(Counted(), batch_size=3)
    epoch = iter(loader)
    assert made == [0]  # iter(loader) asks the dataset for its iterator, not next()
    assert [b.tolist() for b in epoch] == [[0, 1, 2], [3]]
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3]] and made == [0, 1]


def test_gradients_flow_through_the_batches_of_a_stream():
    def batch_sum(w):
        class Scaled(IterableDataset):
            def __iter__(self):
                for k in range(3):
                    yield w * (k + 1.0)

        return sum((batch ** 2).sum() for batch in DataLoader(Scaled(), batch_size=2))

    w = tg.tensor(np.array([0.3, -1.2]), requires_grad=True)
    assert tg.gradcheck(batch_sum, (w,))


@pytest.mark.parametrize("n, batch_size, drop_last", [(0, 2, False), (5, 2, False),
                                                       (5, 2, True), (6, 3, True),
                                                       (4, 7, True), (5, None, False)])
def test_len_follows_pytorchs_rule(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    Numbers, _, _ = _streams(IterableDataset)
    TorchNumbers, _, _ = _streams(torch.utils.data.IterableDataset)
    ours = DataLoader(Numbers(n), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(TorchNumbers(n), batch_size=batch_size,
                                         drop_last=drop_last)
    assert len(ours) == len(theirs) == len(list(ours))


def test_len_of_a_stream_without_a_length_is_a_type_error_as_pytorchs():
    torch = pytest.importorskip("torch")
    _, Pairs, _ = _streams(IterableDataset)
    _, TorchPairs, _ = _streams(torch.utils.data.IterableDataset)
    with pytest.raises(TypeError):
        len(torch.utils.data.DataLoader(TorchPairs(3)))
    with pytest.raises(TypeError, match=r"^DataLoader: the IterableDataset \(Pairs\) defines no "
                                        r"__len__, so the number of batches is unknown"):
        len(DataLoader(Pairs(3), batch_size=2))
    assert len(list(DataLoader(Pairs(3), batch_size=2))) == 2  # iterating needs no length


@pytest.mark.parametrize("options, words", [
    (dict(shuffle=True), r"shuffle option, but got shuffle=True"),
    (dict(sampler=[0, 1]), r"sampler option, but got sampler=\[0, 1\]"),
    (dict(batch_sampler=[[0]]), r"batch_sampler option, but got batch_sampler=\[\[0\]\]"),
])
def test_options_that_choose_the_order_are_pytorchs_value_errors(options, words):
    torch = pytest.importorskip("torch")
    Numbers, _, _ = _streams(IterableDataset)
    TorchNumbers, _, _ = _streams(torch.utils.data.IterableDataset)
    with pytest.raises(ValueError, match="expected unspecified " + words):
        torch.utils.data.DataLoader(TorchNumbers(3), **options)
    with pytest.raises(ValueError, match=r"^DataLoader: with an IterableDataset, expected "
                                         r"unspecified " + words + r"; the dataset's iterator "
                                         r"sets the order"):
        DataLoader(Numbers(3), **options)
    DataLoader(Numbers(3), shuffle=False)  # False and None are unspecified enough
    DataLoader(Numbers(3), shuffle=None)


def test_other_bad_options_are_one_line():
    torch = pytest.importorskip("torch")
    Numbers, _, _ = _streams(IterableDataset)
    TorchNumbers, _, _ = _streams(torch.utils.data.IterableDataset)
    words = r"batch_size=None option disables auto-batching and is mutually exclusive with "
    with pytest.raises(ValueError, match=words + "drop_last"):
        torch.utils.data.DataLoader(TorchNumbers(3), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match=r"^DataLoader: " + words + "drop_last$"):
        DataLoader(Numbers(3), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match=r"^DataLoader: seed= is for shuffle=True, but an "
                                         r"IterableDataset's iterator sets the order"):
        DataLoader(Numbers(3), batch_size=2, seed=0)
    with pytest.raises(ValueError, match=r"^DataLoader: batch_size must be an int >= 1, got 0"):
        DataLoader(Numbers(3), batch_size=0)
    with pytest.raises(TypeError, match=r"^DataLoader: collate_fn must be a function"):
        DataLoader(Numbers(3), collate_fn="stack")
    with pytest.raises(ValueError, match=r"^DataLoader: num_workers=2 is not supported"):
        DataLoader(Numbers(3), num_workers=2)
    loader = DataLoader(Numbers(3), batch_size=2, generator=np.random.default_rng(0))
    assert [b.tolist() for b in loader] == [[0.0, 1.0], [2.0]]  # (accepted, unused)


def test_samples_of_different_shapes_are_named_in_one_line():
    class Ragged(IterableDataset):
        def __iter__(self):
            yield np.zeros(2)
            yield np.zeros(3)

    with pytest.raises(ValueError, match=r"^DataLoader: the samples of a batch have different "
                                         r"shapes"):
        list(DataLoader(Ragged(), batch_size=2))


def test_a_chain_and_plus_are_pytorchs():
    torch = pytest.importorskip("torch")
    Numbers, Pairs, _ = _streams(IterableDataset)
    TorchNumbers, TorchPairs, _ = _streams(torch.utils.data.IterableDataset)
    ours, theirs = Numbers(2) + Numbers(3), TorchNumbers(2) + TorchNumbers(3)
    assert isinstance(ours, ChainDataset) and isinstance(theirs, torch.utils.data.ChainDataset)
    assert list(ours) == list(theirs) == [0.0, 1.0, 0.0, 1.0, 2.0]
    assert len(ours) == len(theirs) == 5
    chained = ChainDataset([Numbers(1), Pairs(2), Numbers(0)])
    theirs = torch.utils.data.ChainDataset([TorchNumbers(1), TorchPairs(2), TorchNumbers(0)])
    assert _plain(list(chained)) == _plain(list(theirs))
    assert _plain(list(DataLoader(Numbers(3) + Numbers(2), batch_size=2))) == _plain(list(
        torch.utils.data.DataLoader(TorchNumbers(3) + TorchNumbers(2), batch_size=2)))
    assert list(ChainDataset([])) == [] and len(ChainDataset([])) == 0
    once = ChainDataset(d for d in [Numbers(2)])  # read into a list: every pass sees it
    assert list(once) == list(once) == [0.0, 1.0]


def test_chain_errors_are_one_line():
    Numbers, Pairs, _ = _streams(IterableDataset)
    with pytest.raises(TypeError, match=r"^ChainDataset: dataset 1 \(Pairs\) defines no __len__, "
                                        r"so the chain's length is unknown"):
        len(Numbers(2) + Pairs(2))
    with pytest.raises(TypeError, match=r"^ChainDataset: dataset 1 is a TensorDataset, not an "
                                        r"IterableDataset; ChainDataset only supports "
                                        r"IterableDataset"):
        Numbers(2) + tg.data.TensorDataset(np.zeros(2))
    with pytest.raises(TypeError, match=r"^ChainDataset: datasets must be a list of "
                                        r"IterableDatasets, got int"):
        ChainDataset(3)


def test_a_map_style_dataset_plus_a_stream_is_refused_as_pytorchs_concat():
    torch = pytest.importorskip("torch")
    Numbers, _, _ = _streams(IterableDataset)
    TorchNumbers, _, _ = _streams(torch.utils.data.IterableDataset)
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        torch.utils.data.TensorDataset(torch.zeros(2)) + TorchNumbers(2)
    with pytest.raises(TypeError, match=r"^ConcatDataset: dataset 1 is an IterableDataset "
                                        r"\(Numbers\), read as a stream, not by index; "
                                        r"ConcatDataset does not support IterableDataset"):
        tg.data.TensorDataset(np.zeros(2)) + Numbers(2)


def test_an_iterable_dataset_without_iter_cannot_be_made_as_pytorchs():
    torch = pytest.importorskip("torch")

    class Nothing(IterableDataset):
        pass

    class TorchNothing(torch.utils.data.IterableDataset):
        pass

    for kind in (Nothing, TorchNothing, IterableDataset):
        with pytest.raises(TypeError, match=r"abstract"):
            kind()
    assert issubclass(IterableDataset, tg.data.Dataset)


def test_get_worker_info_is_none_in_the_main_process_as_pytorchs():
    torch = pytest.importorskip("torch")
    assert tg.data.get_worker_info() is None is torch.utils.data.get_worker_info()
    seen = []

    class Asking(IterableDataset):
        def __iter__(self):
            seen.append(tg.data.get_worker_info())
            return iter(range(2))

    assert [b.tolist() for b in DataLoader(Asking(), batch_size=2)] == [[0, 1]]
    assert seen == [None]


def test_names_are_reached_as_pytorchs():
    for name in ("IterableDataset", "ChainDataset", "get_worker_info", "default_convert"):
        assert name in tg.data.__all__ and hasattr(tg.data, name)
    Numbers, _, _ = _streams(IterableDataset)
    loader = DataLoader(dataset=Numbers(3), batch_size=2)
    assert loader.dataset.n == 3 and loader.sampler is None and loader.batch_sampler is None
    assert repr(loader) == "DataLoader(Numbers, batch_size=2, drop_last=False)"
    assert loader.num_samples == 3


def test_default_convert_and_default_collate_take_pytorchs_argument_names():
    torch = pytest.importorskip("torch")
    import inspect
    for ours, theirs in ((tg.data.default_convert, torch.utils.data.default_convert),
                         (tg.data.default_collate, torch.utils.data.default_collate)):
        assert list(inspect.signature(ours).parameters) == list(
            inspect.signature(theirs).parameters)
    assert tg.data.default_convert(data=np.float32(2.5)).dtype == np.float32


def test_every_keyword_of_pytorchs_loader_is_taken_as_with_num_workers_0():
    torch = pytest.importorskip("torch")
    import inspect
    names = set(inspect.signature(torch.utils.data.DataLoader.__init__).parameters) - {"self"}
    assert names <= set(inspect.signature(DataLoader.__init__).parameters)
    Numbers, _, _ = _streams(IterableDataset)
    TorchNumbers, _, _ = _streams(torch.utils.data.IterableDataset)
    unused = dict(timeout=0, worker_init_fn=lambda worker_id: None, multiprocessing_context=None,
                  prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                  in_order=False)
    for ours, theirs in ((Numbers(5), TorchNumbers(5)), (np.arange(5.0), np.arange(5.0))):
        got = DataLoader(dataset=ours, batch_size=2, **unused)
        want = torch.utils.data.DataLoader(theirs, batch_size=2, **unused)
        assert _plain(list(got)) == _plain(list(want))
    for name, value in (("prefetch_factor", 2), ("persistent_workers", True),
                        ("multiprocessing_context", "spawn"), ("timeout", 5.0)):
        if name != "timeout":  # (PyTorch's refuses a timeout at the first batch)
            with pytest.raises(ValueError):
                torch.utils.data.DataLoader(TorchNumbers(3), **{name: value})
        for dataset in (Numbers(3), np.arange(3.0)):
            with pytest.raises(ValueError, match=rf"^DataLoader: {name}={value!r} needs worker "
                                                 rf"processes \(PyTorch's too: num_workers > "
                                                 rf"0\), but this loader is single-process; "
                                                 rf"leave {name} out$"):
                DataLoader(dataset, **{name: value})
