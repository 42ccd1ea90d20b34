"""`tg.utils`, as PyTorch's `torch.utils`: `tg.utils.data` (DataLoader, the datasets, the
samplers and the collate functions under torch.utils.data's names; the same objects as
`tg.data`'s), `tg.utils.benchmark` (torch.utils.benchmark's `Timer`) and
`tg.utils.checkpoint` (torch.utils.checkpoint's `checkpoint` and `checkpoint_sequential`:
memory traded for a second forward). `_pytree` holds the nested tuples, lists and dicts
`tg.func` takes."""
from . import benchmark, checkpoint, data  # (benchmark: torch.utils.benchmark's Timer)

__all__ = ["data", "benchmark", "checkpoint"]
