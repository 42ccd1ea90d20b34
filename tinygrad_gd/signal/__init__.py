"""PyTorch's `torch.signal`: `tg.signal.windows`, the window functions of signal
processing (bartlett, blackman, cosine, exponential, gaussian, general_cosine,
general_hamming, hamming, hann, kaiser, nuttall) under torch.signal.windows' signatures."""
from . import windows

__all__ = ["windows"]
