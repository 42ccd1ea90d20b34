"""Random draws beyond creation's `rand randn randint randperm`: PyTorch's `normal`,
`bernoulli` (and `Tensor.bernoulli`), `multinomial`, `randint_like`; `manual_seed` and the
state of the generator it seeds: `seed`, `initial_seed`, `get_rng_state`, `set_rng_state`;
and `Generator`, PyTorch's torch.Generator (a stream of one's own, for `generator=`).

Each draw takes `generator=` (a `np.random.Generator`) or `seed=`, as creation's (normal
and randint_like PyTorch's `device=` and `layout=` too, `creation_arguments`, randint_like
`memory_format=`, `memory_formats`); given neither, it comes from manual_seed's generator
if there is one, else fresh entropy. A draw is a new leaf: no gradient flows back to its
arguments (the probabilities, a mean).

PyTorch always has a default generator, seeded from entropy when the program starts.
Here there is none until `tg.manual_seed` or `tg.seed()` makes one: until then each
unseeded draw takes fresh entropy of its own. `initial_seed()`, `get_rng_state()` and
`set_rng_state()` called before then make it first, as `tg.seed()` does (seeded from
fresh entropy), so that a state they give or take has a generator to belong to: from
then on every unseeded draw comes from it, and a saved state repeats what followed.
That generator is always the one object `tg.default_generator` (PyTorch's
torch.default_generator, torch.random.default_generator): tg.manual_seed reseeds it in
place and returns it, so that whatever holds it (a layer, a DataLoader) follows.
`thread_safe_generator()` is PyTorch's too: None, as in PyTorch's main process (the
DataLoader here has no worker threads).

`tg.random.fork_rng()` (PyTorch's torch.random.fork_rng) is a block after which that
generator is as it was before: the draws inside change none of those after it.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np

from . import creation
from .creation import _array, _dtype, _floats, _leaf, _sizes, make_generator
from .creation_arguments import on_the_cpu
from .memory_formats import taking_memory_format
from .ops.arguments import tensor_int
from .grad_mode import check_flag
from .in_place import scalar, shown
from .in_place_draws import coin_flips, probabilities, whole_numbers
from .spellings import _CPU
from .tensor import Tensor, _as_array, _raw
from .values import check_cpu

__all__ = ["normal", "bernoulli", "multinomial", "randint_like", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "Generator", "default_generator",
           "thread_safe_generator", "manual_seed"]

_DEFAULT_SEED = 67280421310721  # PyTorch's seed of a new torch.Generator


def _values(where: str, name: str, value: Any, kinds: str = "iuf") -> np.ndarray:
    """An argument that may be a tensor (an array, a list) or one number, as an array of
    numbers of the `kinds` NumPy's dtype.kind names; one line otherwise."""
    array = _as_array(_raw(value), None, where, copy=False, default=None)
    if array.dtype.kind not in kinds:
        raise TypeError(f"{where}: {name} must hold numbers, got {shown(value)}")
    return array


@on_the_cpu
def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           seed: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Values drawn from N(mean, std**2) (PyTorch's torch.normal), in PyTorch's forms:

    - `normal(mean, std)` with a tensor (an array, a list) for mean, std or both: one draw
      for each value of their broadcast shape, `normal(tg.zeros(3), 2.0)`;
    - `normal(0.0, 1.0, size=(2, 3))` (or `(2, 3)` third): numbers for both, and a shape.

    The dtype is `dtype=`, else mean's if it is a float tensor, else std's, else the default
    one (float64 unless tg.set_default_dtype).
    std must be >= 0, and both finite. No gradient flows to mean or std, as in PyTorch,
    whose torch.normal gives them a gradient of zero: here the result is a new leaf (one
    that requires a gradient only with requires_grad=True). For a draw whose mean and std
    learn, write `mean + std * tg.randn(shape)`."""
    means, spreads = _values("normal", "mean", mean), _values("normal", "std", std)
    tensors = [a for a, given in ((means, mean), (spreads, std))
               if isinstance(given, (Tensor, np.ndarray, list, tuple))]
    if not tensors:
        if size is None:
            raise TypeError("normal: with a number for both mean and std give the shape: "
                            "tg.normal(0.0, 1.0, size=(2, 3)), or a tensor for mean or std")
        shape = _sizes("normal", (size,))
    elif size is not None:
        raise TypeError(f"normal: size= goes with numbers for both mean and std; with a tensor "
                        f"the shape is that of mean and std broadcast ({means.shape} and "
                        f"{spreads.shape}): leave size out, or give numbers")
    else:
        try:
            shape = np.broadcast_shapes(means.shape, spreads.shape)
        except ValueError:
            raise ValueError(f"normal: mean of shape {means.shape} and std of shape "
                             f"{spreads.shape} do not broadcast together; give shapes that "
                             f"do (equal, or 1 where they differ)") from None
    floats = [a.dtype for a in tensors if a.dtype.kind == "f"]
    out = _floats(dtype if dtype is not None or not floats else floats[0], "normal")
    for name, array in (("mean", means), ("std", spreads)):
        bad = array[~np.isfinite(array) | ((array < 0) if name == "std" else False)]
        if bad.size:
            need = "finite and >= 0 (a standard deviation)" if name == "std" else "finite"
            raise ValueError(f"normal: {name} must be {need}, got {bad.flat[0].item()!r}")
    rng = make_generator(seed, generator, "normal")
    drawn = _array("normal", shape, lambda: np.asarray(rng.normal(  # (+ 0.0: -0.0 is 0.0)
        means.astype(np.float64), spreads.astype(np.float64) + 0.0, shape)))
    with np.errstate(over="ignore"):  # (a huge std may give inf in float32, as PyTorch's)
        return _leaf(drawn.astype(out, copy=False), requires_grad, "normal")


def bernoulli(input: Any, p: Any = None, *, generator: Any = None, seed: Any = None
              ) -> Tensor:
    """1 with probability input's value, else 0, for each value of `input` (PyTorch's
    torch.bernoulli), in input's shape and dtype; with `p` (one number), 1 with
    probability p everywhere, and input gives only the shape and dtype (an integer one
    too). Probabilities outside [0, 1] (and NaN) are refused. The result is a new leaf: no
    gradient flows back to the probabilities (PyTorch's gives them a gradient of zero)."""
    data = _values("bernoulli", "input", input, "biuf")
    if p is not None:
        chances = probabilities("bernoulli", scalar("bernoulli", "p", p), data.shape)
    elif data.dtype.kind != "f":
        raise TypeError(f"bernoulli: input holds the probabilities, so it must be a float "
                        f"tensor, got dtype {data.dtype}; give floats in [0, 1] "
                        f"(x.to(tg.float64)), or p= for one probability")
    else:
        chances = probabilities("bernoulli", data, data.shape, "input")
    rng = make_generator(seed, generator, "bernoulli")
    return _leaf(coin_flips(rng, chances, data.shape, data.dtype), False, "bernoulli")


def _bernoulli_method(self: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """PyTorch's `x.bernoulli()`: `tg.bernoulli(x)` (x's values are the probabilities), or
    `x.bernoulli(p)`: 1 with probability p in x's shape and dtype; a new tensor."""
    return bernoulli(self, p, generator=generator)


_bernoulli_method.__name__ = _bernoulli_method.__qualname__ = "bernoulli"
Tensor.bernoulli = _bernoulli_method


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: Any = None, seed: Any = None) -> Tensor:
    """`num_samples` category indices (int64) drawn with probabilities proportional to
    `input`'s weights (PyTorch's torch.multinomial): a 1-d input gives shape
    (num_samples,), a 2-d one a row of draws for each of its rows. Without replacement a
    category is drawn at most once: once those of positive weight are drawn, the rest
    (weight 0) follow in index order, where PyTorch's take them in no stated order.
    Weights must be finite, >= 0, and not all 0 in a row."""
    weights = _values("multinomial", "input", input)
    if weights.dtype.kind != "f":
        raise TypeError(f"multinomial: the weights must be a float tensor, got dtype "
                        f"{weights.dtype}; give float weights (w.to(tg.float64))")
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: the weights must be 1-d (one distribution) or 2-d (one "
                         f"a row), got shape {weights.shape}")
    if weights.shape[-1] == 0:
        raise ValueError(f"multinomial: the weights (shape {weights.shape}) have no categories "
                         f"to draw from; give each distribution at least one weight")
    if isinstance(num_samples, Tensor):  # (a 0-d integer tensor for the int: torch's)
        num_samples = tensor_int("multinomial", "num_samples", num_samples, "an int")
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, bool):
        raise TypeError(f"multinomial: num_samples must be an int, got {shown(num_samples)}")
    count, wanted = weights.shape[-1], int(num_samples)
    replacement = check_flag("multinomial", "replacement", replacement)
    if wanted <= 0:
        raise ValueError(f"multinomial: num_samples must be > 0, got {wanted}")
    if not replacement and wanted > count:
        raise ValueError(f"multinomial: cannot draw num_samples={wanted} of {count} categories "
                         f"without replacement; give at most {count}, or replacement=True")
    rows = weights.reshape(-1, count).astype(np.float64)
    bad = rows[~(np.isfinite(rows) & (rows >= 0))]
    if bad.size:
        raise ValueError(f"multinomial: the weights must be finite and >= 0, got "
                         f"{bad.flat[0].item()!r}")
    empty = np.flatnonzero(rows.sum(axis=1) <= 0)
    if empty.size:
        row = "" if weights.ndim == 1 else f" of row {empty[0]}"
        raise ValueError(f"multinomial: the weights{row} are all 0, so no category can be "
                         f"drawn; give each distribution a positive weight")
    rng = make_generator(seed, generator, "multinomial")
    if rows.size:
        rows = rows / rows.max(axis=1, keepdims=True)  # (no overflow in the sums below)
    if replacement:  # each draw: the category whose share of the running total holds u
        totals = np.cumsum(rows, axis=1)
        picks = rng.random((len(rows), wanted)) * totals[:, -1:]
        drawn = np.array([np.searchsorted(t, u, side="right") for t, u in zip(totals, picks)],
                         dtype=np.int64).reshape(len(rows), wanted)
        last = count - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)  # (u rounded up to the total)
        drawn = np.minimum(drawn, last[:, None])
    else:  # the largest weight / Exp(1) keys: drawing one after another without replacement
        keys = rows / rng.exponential(size=rows.shape)
        drawn = np.argsort(-keys, axis=1, kind="stable")[:, :wanted]
    return _leaf(drawn.astype(np.int64).reshape(weights.shape[:-1] + (wanted,)), False,
                 "multinomial")


@on_the_cpu
@taking_memory_format
def randint_like(input: Any, low: Any = 0, high: Any = None, *, dtype: Any = None,
                 requires_grad: bool = False, seed: Any = None, generator: Any = None
                 ) -> Tensor:
    """Whole numbers drawn uniformly from [low, high) in input's shape and dtype (or
    `dtype=`), PyTorch's torch.randint_like: `randint_like(x, 10)` (0..9, one bound is
    high), `randint_like(x, 2, 10)`, `randint_like(x, high=10)`. Bounds the dtype cannot
    hold exactly are refused (float32 holds whole numbers up to 2**24)."""
    data = _values("randint_like", "input", input, "biuf")
    if high is None:
        low, high = 0, low
    out = data.dtype if dtype is None else _dtype(dtype, "randint_like")
    values = whole_numbers("randint_like", lambda: make_generator(seed, generator,
                                                                  "randint_like"),
                           data.shape, out, low, high)()
    return _leaf(values, requires_grad, "randint_like",
                 "pass dtype='float64' (the dtype is input's unless given)")


def manual_seed(seed: int) -> Generator:
    """Make every later draw given neither seed nor generator repeatable (PyTorch's
    torch.manual_seed): they all come from `tg.default_generator`, reseeded in place with
    `seed` and returned, as PyTorch's: `tg.default_generator.manual_seed(seed)`, whose
    rules it follows (an int in [-2**63, 2**64 - 1], a negative one counted modulo 2**64),
    but that a seed that is no int is a TypeError, as PyTorch's manual_seed(None) is."""
    return default_generator._reseeded(seed, "manual_seed", TypeError)


def thread_safe_generator() -> None:
    """PyTorch's torch.random.thread_safe_generator: the generator of the DataLoader worker
    thread it is called in, else None (draw from the default one). There are no worker
    threads here (num_workers=0 only): always None."""
    return None


def seed() -> int:
    """Seed tg.manual_seed's generator from fresh entropy and return the seed, a 64-bit
    whole number (PyTorch's torch.seed): `tg.manual_seed(that)` repeats what follows."""
    value = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    manual_seed(value)
    return value


def _default() -> Generator:
    """tg.default_generator, seeded first as tg.seed() seeds it if it is not yet."""
    if creation._seeded[0] is None:
        seed()
    return default_generator


def initial_seed() -> int:
    """The seed of tg.manual_seed's generator (PyTorch's torch.initial_seed): the last one
    given to tg.manual_seed or made by tg.seed() (a negative one modulo 2**64); before
    either, tg.seed() is called first, as this module's docstring says."""
    return _default()._initial_seed


def get_rng_state() -> dict:
    """The state of tg.manual_seed's generator (PyTorch's torch.get_rng_state), for
    tg.set_rng_state to go back to: the draws that followed repeat. It is NumPy's
    `bit_generator.state`, a dict, where PyTorch's is a uint8 tensor. Before any
    manual_seed the generator is made first (tg.seed()), as this module's docstring says."""
    return _default().bit_generator.state


def set_rng_state(state: dict) -> None:
    """Put tg.manual_seed's generator back in `state`, a dict tg.get_rng_state() gave
    (PyTorch's torch.set_rng_state): the draws that followed it repeat. The generator
    stays the same object (layers holding it follow), and initial_seed() is unchanged."""
    _default().bit_generator.state = _checked_state("set_rng_state", "tg.get_rng_state()", state)


def _checked_state(where: str, source: str, state: Any) -> dict:
    """`state`, refused in one line unless it is a PCG64 state as `source` gives."""
    if not isinstance(state, dict):
        raise TypeError(f"{where}: state must be the dict {source} gave, got {shown(state)}")
    inner = state.get("state")
    keys = isinstance(inner, dict) and set(inner) == {"state", "inc"}
    if not (set(state) == {"bit_generator", "state", "has_uint32", "uinteger"} and keys
            and state["bit_generator"] == "PCG64" and state["has_uint32"] in (0, 1)
            and all(_whole(v, 2 ** 128) for v in inner.values())
            and _whole(state["uinteger"], 2 ** 32)):
        raise ValueError(f"{where}: {shown(state)} is not a state {source} gave (NumPy's "
                         f"PCG64 state: bit_generator, state, has_uint32, uinteger); pass one "
                         f"it returned")
    return state


def _whole(value: Any, bound: int) -> bool:
    """Whether `value` is a whole number in [0, bound)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and (
        0 <= value < bound)


class Generator(np.random.Generator):
    """PyTorch's `torch.Generator`: a random stream of its own, for `generator=` (the
    samplers, DataLoader, random_split, tg.randn, the layers' initialisations).

    `tg.Generator().manual_seed(0)` is PyTorch's line: manual_seed returns the generator.
    It is a `np.random.Generator` (PCG64), so it goes wherever one does; the same seed
    repeats the same draws here, not PyTorch's numbers (its stream is Mersenne Twister's).
    A new one is seeded with PyTorch's default seed, 67280421310721, so it too repeats
    from run to run. `seed()` reseeds from fresh entropy, `initial_seed()` gives the last
    seed; `get_state()` and `set_state()` take NumPy's state dict (PyTorch's: a uint8
    tensor). CPU only: `device` is "cpu", any other refused.

    `copy.copy`, `copy.deepcopy` and pickle give a Generator of its own, as PyTorch's do:
    it draws the same numbers as the original from that point on, each stream then going
    on independently, and keeps `initial_seed()`."""

    def __init__(self, device: Any = "cpu") -> None:
        check_cpu(device, "Generator")
        super().__init__(np.random.PCG64(_DEFAULT_SEED))
        self._initial_seed = _DEFAULT_SEED

    @property
    def device(self) -> Any:
        """Where the generator lives: "cpu" (PyTorch's `Generator.device`)."""
        return _CPU

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from `seed`, an int in [-2**63, 2**64 - 1] (a negative one
        counts modulo 2**64, as PyTorch's); returns the generator itself."""
        return self._reseeded(seed, "Generator.manual_seed", RuntimeError)

    def _reseeded(self, seed: Any, where: str, not_an_int: type) -> Generator:
        """manual_seed's work, its refusals said as `where`, a seed that is no int's as
        `not_an_int` (PyTorch's Generator.manual_seed: RuntimeError)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise not_an_int(f"{where}: seed must be an int, got {shown(seed)}; give a "
                             f"whole number such as 0")
        if not -2 ** 63 <= seed < 2 ** 64:
            raise ValueError(f"{where}: seed {seed} is out of range; give an int in "
                             f"[-2**63, 2**64 - 1]")
        self._initial_seed = int(seed) % 2 ** 64
        self.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy and return that seed (PyTorch's Generator.seed)."""
        value = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The last seed given to manual_seed or made by seed() (else the default one)."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The stream's state, for set_state to go back to: NumPy's PCG64 state dict."""
        return self.bit_generator.state

    def set_state(self, new_state: dict) -> Generator:
        """Put the stream back in a state get_state gave; returns the generator itself."""
        self.bit_generator.state = _checked_state("Generator.set_state",
                                                  "Generator.get_state()", new_state)
        return self

    def __reduce__(self) -> tuple:
        # copy.copy, copy.deepcopy and pickle come here; NumPy's own would give a plain
        # np.random.Generator (and copy.copy one sharing this stream)
        return _copied_generator, (self.get_state(), dict(vars(self)))


def _copied_generator(state: dict, attributes: dict) -> Generator:
    """A Generator in `state`, with the attributes (initial_seed) of the one copied."""
    generator = Generator()
    generator.bit_generator.state = state
    vars(generator).update(attributes)
    return generator


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, device_type: Any = None
             ) -> Iterator[None]:
    """A block after which tg.manual_seed's generator is back in the state it had before
    (PyTorch's torch.random.fork_rng): the draws inside it, and a tg.manual_seed called
    there, change none of the draws after it, even when the block ends in an exception.
    Without such a generator (no manual_seed yet) there is none after it either.
    `enabled=False` forks nothing. `devices` names accelerators whose generators to fork
    too: there are none here, so it must be None or empty; `device_type` is taken as
    PyTorch's (the CPU's generator is always forked)."""
    check_flag("fork_rng", "enabled", enabled)
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError(f"fork_rng: device_type must be a device type's name such as "
                        f"'cuda', or None, got {shown(device_type)}")
    if not enabled:  # (devices not looked at, as PyTorch's)
        yield
        return
    devices = None if devices is None else list(devices)  # (an iterator read once)
    if devices:
        raise RuntimeError(f"fork_rng: devices={devices!r} asks to fork the generators "
                           f"of accelerators, and tinygrad_gd has none (it computes on the "
                           f"CPU, whose generator is always forked); leave devices out or "
                           f"give []")
    saved = list(creation._seeded)
    state, first = default_generator.bit_generator.state, default_generator._initial_seed
    try:
        yield
    finally:  # the same generator object, so that layers holding it follow
        creation._seeded[:] = saved
        default_generator.bit_generator.state, default_generator._initial_seed = state, first


class _DefaultGenerator(Generator):
    """`tg.default_generator`: the Generator tg.manual_seed reseeds and every unseeded draw
    comes from once it is seeded. Its manual_seed is tg.Generator's, and seeds it for
    those draws; its seed, initial_seed, get_state and set_state are tg.seed's,
    tg.initial_seed's, ... (PyTorch's: the same generator)."""

    def __init__(self) -> None:
        super().__init__()
        self.bit_generator.state = np.random.PCG64().state  # (fresh entropy, as PyTorch's)

    def _reseeded(self, seed: Any, where: str, not_an_int: type) -> Generator:
        super()._reseeded(seed, where, not_an_int)
        creation._seeded[:] = [self]  # (from now on the unseeded draws' generator)
        return self

    def seed(self) -> int:
        return seed()

    def initial_seed(self) -> int:
        return initial_seed()

    def get_state(self) -> dict:
        return get_rng_state()

    def set_state(self, new_state: dict) -> Generator:
        set_rng_state(new_state)
        return self


# (its type reads as torch's, a Generator: `Generator(PCG64)`, not the private class's name)
_DefaultGenerator.__name__ = _DefaultGenerator.__qualname__ = "Generator"
default_generator = _DefaultGenerator()
