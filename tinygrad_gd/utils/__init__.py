"""`tg.utils`, as PyTorch's `torch.utils`: `tg.utils.data` (DataLoader, the datasets, the
samplers and the collate functions under torch.utils.data's names; the same objects as
`tg.data`'s) and `tg.utils.benchmark` (torch.utils.benchmark's `Timer`). `_pytree` holds
the nested tuples, lists and dicts `tg.func` takes."""
from . import benchmark, data  # (benchmark: torch.utils.benchmark's Timer, Measurement)

__all__ = ["data", "benchmark"]
