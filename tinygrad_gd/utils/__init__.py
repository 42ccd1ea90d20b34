"""`tg.utils`, as PyTorch's `torch.utils`: `tg.utils.data` (DataLoader, the datasets, the
samplers and the collate functions under torch.utils.data's names; the same objects as
`tg.data`'s). `_pytree` holds the nested tuples, lists and dicts `tg.func` takes."""
from . import data

__all__ = ["data"]
