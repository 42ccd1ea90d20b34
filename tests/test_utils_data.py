"""tg.utils.data: torch.utils.data's names, the same objects as tg.data's."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.utils import data as utils_data

# torch.utils.data names not here (see tg.utils.data's docstring): no distributed
# processes, and the deprecated DataPipes
LACKING = {"DistributedSampler", "IterDataPipe", "MapDataPipe", "DFIterDataPipe", "DataChunk",
           "functional_datapipe", "guaranteed_datapipes_determinism", "non_deterministic",
           "argument_validation", "runtime_validation", "runtime_validation_disabled"}


def test_the_import_line_of_pytorch_works():
    from tinygrad_gd.utils.data import DataLoader, TensorDataset  # noqa: F401
    assert DataLoader is tg.data.DataLoader and TensorDataset is tg.data.TensorDataset
    assert tg.utils.data is utils_data and "utils" in tg.__all__


def test_every_name_is_the_same_object_as_tg_datas():
    for name in utils_data.__all__:
        assert getattr(utils_data, name) is getattr(tg.data, name), name
    assert set(utils_data.__all__) == set(tg.data.__all__)


def test_torchs_names_are_here_but_the_listed_few():
    torch_data = pytest.importorskip("torch.utils.data")
    public = {n for n in torch_data.__all__ if not n.startswith("_")}
    assert public - set(utils_data.__all__) == LACKING
    assert set(utils_data.__all__) <= public


def test_pytorchs_submodules_import_as_those_modules():
    from tinygrad_gd.utils.data.dataloader import DataLoader, default_collate
    from tinygrad_gd.utils.data.dataset import Dataset, random_split
    from tinygrad_gd.utils.data.sampler import BatchSampler, RandomSampler
    assert (DataLoader, default_collate) == (tg.data.DataLoader, tg.data.default_collate)
    assert (Dataset, random_split) == (tg.data.Dataset, tg.data.random_split)
    assert (BatchSampler, RandomSampler) == (tg.data.BatchSampler, tg.data.RandomSampler)
    assert importlib.import_module("tinygrad_gd.utils.data.sampler") is utils_data.sampler


def test_a_loader_over_a_tensor_dataset_batches_as_torchs():
    torch = pytest.importorskip("torch")
    import torch.utils.data as torch_data
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    ours = utils_data.DataLoader(utils_data.TensorDataset(tg.tensor(x), tg.tensor(y)),
                                 batch_size=2)
    theirs = torch_data.DataLoader(torch_data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                   batch_size=2)
    assert len(ours) == len(theirs) == 3
    for (xb, yb), (xt, yt) in zip(ours, theirs):
        np.testing.assert_array_equal(xb.numpy(), xt.numpy())
        np.testing.assert_array_equal(yb.numpy(), yt.numpy())


def test_stack_dataset_and_samplers_give_torchs_samples():
    torch = pytest.importorskip("torch")
    import torch.utils.data as torch_data
    a, b = np.arange(6.0).reshape(3, 2), np.arange(3.0)
    ours = utils_data.StackDataset(a=a, b=b)
    theirs = torch_data.StackDataset(a=torch.tensor(a), b=torch.tensor(b))
    assert len(ours) == len(theirs) == 3
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(ours[i]["a"]), theirs[i]["a"].numpy())
    batches = list(utils_data.BatchSampler(utils_data.SequentialSampler(range(5)), 2, True))
    assert batches == list(torch_data.BatchSampler(torch_data.SequentialSampler(range(5)), 2,
                                                   True))
    assert utils_data.get_worker_info() is None is torch_data.get_worker_info()


def test_an_empty_dataset_makes_no_batch():
    loader = utils_data.DataLoader(utils_data.TensorDataset(np.zeros((0, 3))), batch_size=2)
    assert len(loader) == 0 and list(loader) == []


def test_bad_input_is_the_loaders_one_line_error():
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        utils_data.DataLoader(np.zeros((4, 2)), batch_size=0)
    with pytest.raises(ValueError, match="num_workers=2 is not supported"):
        utils_data.DataLoader(np.zeros((4, 2)), num_workers=2)
