"""PyTorch's `torch.utils.data` as `tg.utils.data`: `from tinygrad_gd.utils.data import
DataLoader, TensorDataset` works as PyTorch's line does. The names are the same objects
as `tg.data`'s (DataLoader, from data.py), gathered from dataset_classes.py (Dataset,
TensorDataset, Subset, ConcatDataset, StackDataset, IterableDataset, ChainDataset,
random_split, get_worker_info), samplers.py (Sampler, SequentialSampler, RandomSampler,
SubsetRandomSampler, WeightedRandomSampler, BatchSampler) and collate.py
(default_collate, default_convert). PyTorch's submodules `dataset`, `sampler` and
`dataloader` are those modules, importable by those names.

Not here: DistributedSampler (no distributed processes) and the deprecated DataPipes
(IterDataPipe, MapDataPipe, DFIterDataPipe, DataChunk, functional_datapipe, and their
validation helpers).
"""
from __future__ import annotations

import sys

from .. import data as dataloader
from .. import dataset_classes as dataset
from .. import samplers as sampler
from ..collate import default_collate, default_convert
from ..data import DataLoader
from ..dataset_classes import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                               StackDataset, Subset, TensorDataset, get_worker_info,
                               random_split)
from ..samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                        SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "default_collate", "default_convert", "get_worker_info", "random_split"]

# `from tinygrad_gd.utils.data.dataloader import default_collate`, as PyTorch's, though
# this is a module, not a package (as autograd.py makes autograd.functional importable)
for _name, _module in (("dataloader", dataloader), ("dataset", dataset),
                       ("sampler", sampler)):
    sys.modules[f"{__name__}.{_name}"] = _module
