"""The errors of an op, restated: one line that names the op, its inputs and what to do.

NumPy's message from inside an op's forward ("operands could not be broadcast together
with shapes ...") and Python's complaint about a call's arguments ("Sum.call() got an
unexpected keyword argument") become messages about the op the user called; so do the
mistakes of a user's own op (a write into a read-only input, a missing `return`). An op's
refusal begins with the name the user called it by: `x.unsqueeze(5)` says "unsqueeze: ...",
where the op expand_dims wrote "expand_dims: ..." (`respelled`); by the same rule a function
says the refusals of what it calls as its own (`refusing_as`: "native_layer_norm: eps must
be >= 0", where F.layer_norm wrote "layer_norm: ..."). A hand-written method or
function installed under a public name is given that name (`named`), so that Python's own
complaint about its arguments names what the user called: `x.where(1, 2, 3)` says
"Tensor.where() takes ...", not "_where() takes ...". Every public Tensor method is named
as one, `Tensor.NAME`, so that pickle finds it by reference (`methods_found_by_name`).
"""
from __future__ import annotations

import functools
import inspect
import re
import sys
import types
from typing import Any, Callable, Sequence

import numpy as np

from .errors import ShapeError
from .grad_mode import is_grad_enabled
from .out_arguments import written_out
from .torch_keywords import keyword_slots, positioned, torch_named

__all__ = ["op_error", "argument_error", "calling", "respelled", "refusing_as",
           "methods_counting_self", "methods_counted_as_called", "forward_result",
           "backward_error", "named", "methods_found_by_name"]

_BINDING = re.compile(r"^[\w.<>]+\(\) (got an unexpected keyword argument|got multiple values|"
                      r"takes|missing)")
_COUNTS = re.compile(r"^[\w.<>]*forward\(\) takes (\d+) positional arguments? "
                     r"but (\d+) (?:were|was)")
# Python's count of the arguments of an op's call or forward: cls or ctx counted in it
_HIDDEN_COUNTS = re.compile(r"^[\w.<>]*\.(call|forward)\(\) takes ")
_FORWARD_COUNTS = re.compile(r"^[\w.<>]*\.forward\(\) takes ")
# what the engine and its extras set on a node: a user's forward that sets one loses it
# (built_in is refused where it is set: registry.py's _UsersOpFlag)
_NODE_ATTRIBUTES = ("params", "name", "recorded_at", "scope", "created_at",
                    "output_version", "scope_calls", "saved_packed", "saved_specs",
                    "saved_unpack", "saved_snapshots",
                    "written_in_place")  # (what the extras set on a node)
# NumPy's words for inputs whose shapes do not fit a join (concatenate, stack): PyTorch's
# RuntimeError, so a ShapeError
_JOIN_SHAPES = re.compile(r"^all (the )?input arrays? (dimensions except|must have)")


def argument_error(err: TypeError, name: str, hidden: bool = False) -> TypeError:
    """Python's complaint about a call's arguments, restated with the op's method name
    (`hidden`: the op's call or forward counted a first argument the caller did not give,
    a classmethod's cls or forward's ctx, which the count given back leaves out)."""
    text = str(err)
    if not _BINDING.match(text):
        return err
    if hidden and _HIDDEN_COUNTS.match(text):
        text = _without_first(text)
    return TypeError(f"{name}: {text.split('() ', 1)[1]}; its docstring lists its arguments")


def _unbound(err: BaseException | None) -> bool:
    """Whether `err` is Python's "f() takes 2 positional arguments but 3 were given" from
    binding the arguments of the function called where it was caught (no frame of that
    function in its traceback: a call inside it that went wrong is another matter)."""
    tb = getattr(err, "__traceback__", None)
    return (isinstance(err, TypeError) and tb is not None and tb.tb_next is None
            and _BINDING.match(str(err)) is not None and " takes " in str(err))


def _counted(name: str, function: Any, given: int, skip: int) -> TypeError | None:
    """"clamp_min: takes 1 argument (min) but 2 were given": the user's count (`given`) of
    the arguments of `function`, whose first `skip` parameters the user did not give (a
    method's tensor, forward's ctx), and the ones it takes named, with its keyword-only
    ones, which an argument too many often meant; None where there is no signature, or
    one that takes any number (*args: the count refused was another function's)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)][skip:]
    keywords = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    most, least = len(positional), sum(p.default is p.empty for p in positional)
    takes = ("no arguments" if most == 0 else f"{most} argument{'s' * (most != 1)}"
             if least == most else f"at most {most} argument{'s' * (most != 1)}"
             if least == 0 else f"{least} to {most} arguments")
    if most:
        takes += f" ({', '.join(p.name for p in positional)})"
    text = f"{name}: takes {takes} but {given} {'was' if given == 1 else 'were'} given"
    if keywords:
        text += (f"; {keywords[0]}= is keyword-only" if len(keywords) == 1 else
                 f"; {'=, '.join(keywords)}= are keyword-only")
    return TypeError(text)


def _op_counted(op: Any, call: Callable, err: TypeError, name: str, given: int,
                method: bool) -> TypeError | None:
    """Too many arguments given to the op `op` (`given` of them, a method's tensor among
    them), counted by `_counted`: its `call`'s, or, where call hands all it is given to
    apply, its forward's (the inputs); None where `err` is another mistake."""
    if _unbound(err):
        return _counted(name, call, given - method, method)
    if not (_unbound(err.__context__) and _FORWARD_COUNTS.match(str(err.__context__))):
        return None
    try:
        kinds = [p.kind for p in inspect.signature(call).parameters.values()]
    except (TypeError, ValueError):
        return None
    if kinds != [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]:
        return None  # (call gives apply inputs of its own: forward's count is not the user's)
    return _counted(name, op.forward, given - method, method + (op.setup_context is None))


def _input_names(op: Any) -> list[str]:
    """The names of `op`'s inputs, its forward's positional parameters (ctx left out)."""
    try:
        parameters = list(inspect.signature(op.forward).parameters.values())
    except (TypeError, ValueError):
        return []
    names = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    return names[op.setup_context is None:]


def _without_first(text: str) -> str:
    """"X.call() takes 2 positional arguments but 3 were given" as the caller counts: 1, 2."""
    def one_less(match: re.Match) -> str:
        return str(int(match.group()) - 1)

    takes, but, given = text.partition(" but ")
    text = re.sub(r"\d+", one_less, takes) + but + re.sub(r"\d+", one_less, given, count=1)
    text = re.sub(r"(?<!to )\b1 positional arguments", "1 positional argument", text)
    text = re.sub(r"\b0 positional argument\b", "0 positional arguments", text)
    return re.sub(r"\b1 were given", "1 was given", text)


def calling(op: Any, name: str, input_keyword: bool = False, method: bool = False
            ) -> Callable:
    """`op.call` under the name a user calls it by (a Tensor method, `method`, or a `tg.`
    function): a wrong argument is restated as one line naming `name`. `input_keyword` (a
    function): PyTorch's `input=` is the first tensor also where `call` names it otherwise,
    unless torch names it otherwise (cat's `tensors=`). torch's names, that one's and those
    of the arguments after it (`other=`, `shape=`), come from torch_keywords' table, in one
    pass over the keywords: a name torch does not take there is refused, as torch does."""
    call = op.call
    hidden = isinstance(inspect.getattr_static(op, "call"), classmethod)
    try:
        named = set(inspect.signature(call).parameters)
    except (TypeError, ValueError):  # (no signature to read: leave the keywords to call)
        named = {"input"}
    # torch's names (input=, x.mul(other=y), shape=): one table, read when keywords are given
    slots = keyword_slots(name, call, method, input_keyword and "input" not in named)
    reads_keywords = input_keyword or slots is not None
    takes_out = input_keyword and "out" not in named  # (PyTorch's out=, a function's)
    # another spelling of the op (unsqueeze for expand_dims, cat for concatenate): kept on
    # the node it makes, so that a diagram names the op as the user wrote it
    spelled = name if name != op.name and not name.startswith("_") else None

    def function(*args: Any, **kwargs: Any) -> Any:
        if kwargs and reads_keywords:  # PyTorch's keywords: KEYWORDS, input=, out=
            if slots is not None:
                args, kwargs = positioned(name, slots, args, kwargs)
            out = kwargs.pop("out", None) if takes_out else None
            if out is not None:  # the result of the call without out=, written into out
                return written_out(name, function(*args, **kwargs), out, is_grad_enabled())
        try:
            result = call(*args, **kwargs)
        except TypeError as err:
            restated = (_op_counted(op, call, err, name, len(args), method)
                        or argument_error(err, name, hidden))
            if slots is not None:  # (our names of a missing argument: torch's, 'b' not 'y')
                restated = torch_named(restated, name, slots, _input_names(op))
            raise respelled(restated, op.name, spelled) from None
        except Exception as err:  # (a refusal: said of the name called, not of op.name)
            if spelled is None:
                raise
            raise respelled(err, op.name, spelled)
        if spelled is not None:
            spell(result, op, spelled)
        return result
    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.__doc__
    function.op = op
    # (a function also set as a Tensor method: `methods_counting_self` sets this twin there)
    function.method_twin = None if method else lambda: calling(op, name, input_keyword, True)
    return function


def methods_counting_self(cls: type) -> None:
    """Each method of `cls` that is a function made here (`calling`, `refusing_as`), also
    a `tg.` function (`x.lerp(y, w)` is `tg.lerp(x, y, w)`), replaced by its twin that counts
    a wrong number of arguments as the method's caller does: without the tensor."""
    for name, function in list(vars(cls).items()):
        twin = getattr(function, "method_twin", None)
        if twin is not None:
            method = twin()
            method.__module__, method.__doc__ = function.__module__, function.__doc__
            if hasattr(function, "refuses_as"):  # (an in-place form, wrapped once only)
                method.refuses_as = function.refuses_as
            setattr(cls, name, method)


# left bare, a training step's methods: wrapped, backward adds to benchmarks.bytecodes' counts
TRAINING_STEP_METHODS = ("backward", "item", "requires_grad_")


def methods_counted_as_called(cls: type, bare: Sequence[str] = TRAINING_STEP_METHODS) -> None:
    """Each public method of `cls` written by hand (a plain function, not an op's), but
    those named in `bare`, wrapped so that Python's complaint about the number of its
    arguments counts them as the caller does, without the tensor: `x.argmax(1, 2, 3, 4)`
    says "argmax: takes at most 2 arguments (axis, keepdims) but 4 were given", where
    Python says "takes from 1 to 3 positional arguments but 5 were given". A correct call
    pays one frame; the methods in `bare` keep Python's count and cost nothing more."""
    for name in dir(cls):
        function = inspect.getattr_static(cls, name)
        if (name.startswith("_") or name in bare or not isinstance(function, types.FunctionType)
                or hasattr(function, "method_twin")):
            continue  # (calling and refusing_as, which restate their errors already)
        kinds = [p.kind for p in inspect.signature(function).parameters.values()]
        if kinds and inspect.Parameter.VAR_POSITIONAL not in kinds:
            setattr(cls, name, _counting_the_caller(cls, function, name))


def _counting_the_caller(cls: type, function: Callable, name: str) -> Callable:
    """`function`, the method `name` of `cls`, whose call with more positional arguments
    than it takes is refused by `_counted` (that of the function it decorates, where it is
    a decorator's wrapper that hands its arguments on: `on_the_cpu`, `drawn_as_call`)."""
    inner = inspect.unwrap(function)
    most = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in inspect.signature(inner).parameters.values())

    @functools.wraps(function)
    def method(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TypeError as err:
            if len(args) <= most:
                raise  # (a mistake inside the method, or a keyword's: as it is)
            raise _counted(name, inner, len(args) - 1, 1) or err from None
    # (wraps copied the tg function's names: pickle finds the method where these say)
    method.__qualname__, method.__module__ = f"{cls.__name__}.{name}", cls.__module__
    return method


def named(function: Any, name: str, owner: type | None = None) -> Any:
    """`function` as the public `name` it is installed under, a method of `owner` (Tensor)
    or a `tg.` function: a private function renamed, one that has another public name (an
    alias: `x.ndimension` is `dim`) copied under this one, so that Python's
    "Tensor.where() takes 3 positional arguments but 4 were given" names what the user
    called, at no cost to a call (and a method pickles, found as `Tensor.where`). Any other
    callable (a builtin, a class) as it is."""
    if (not isinstance(function, types.FunctionType)
            or function.__qualname__.rpartition(".")[2] == name):
        return function
    if function.__name__ not in (name, "") and not function.__name__.startswith("_"):
        function = _copied(function)  # (an alias: the other name keeps its own)
    function.__name__ = name
    function.__qualname__ = name if owner is None else f"{owner.__name__}.{name}"
    if owner is not None:  # (so that pickle finds it where its qualified name says)
        function.__module__ = owner.__module__
    return function


def methods_found_by_name(cls: type) -> None:
    """Each public method of `cls` that is a plain function which `pickle` would not find
    where its `__module__` and `__qualname__` say (one made by `calling` or a loop of
    setattr's, named by its own module or by another function's name) named as the method
    it is, `cls.NAME`: `pickle.dumps(tg.Tensor.abs)` then stores a reference that loads
    back as the same method, as PyTorch's `torch.Tensor.exp` does; a call costs nothing
    more. One object under two names (an alias) keeps its own name where that is one."""
    for name, function in list(vars(cls).items()):
        if (name.startswith("_") or not isinstance(function, types.FunctionType)
                or _found_by_name(function)):
            continue
        if vars(cls).get(function.__name__) is function:
            name = function.__name__  # (an alias of a method of its own name: that name)
        function.__name__, function.__qualname__ = name, f"{cls.__qualname__}.{name}"
        function.__module__ = cls.__module__


def _found_by_name(function: types.FunctionType) -> bool:
    """Whether `function` is what its module's attribute named by its qualname holds (how
    pickle finds a function: by reference)."""
    found: Any = sys.modules.get(function.__module__)
    for part in function.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is function


def _copied(function: types.FunctionType) -> types.FunctionType:
    """A second function object of `function`'s code, defaults, closure and attributes."""
    copy = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__dict__.update(function.__dict__)
    copy.__doc__, copy.__module__ = function.__doc__, function.__module__
    copy.__annotations__ = function.__annotations__
    return copy


# the leading name of a refusal from inside a function another one calls for the user: an
# op's or a function's ("layer_norm: ", "t(): ", "clip (clamp): ") or the engine's "op 'x': "
_ANY_NAME = r"op '[\w.]+'|[\w.]+"


def respelled(err: Exception, own: str | tuple[str, ...] | None, called: str | None
              ) -> Exception:
    """`err`, a refusal that begins with the op's own name (`own`, or one of them: "clip: ",
    "clip (clamp): ", "max(): "), as the same class of error with the same message that
    begins with `called`, the name the user wrote. `own` None: the refusal of whatever
    `called` calls for the user (F.layer_norm in native_layer_norm, the view in
    permute_copy), its leading name replaced ("layer_norm: eps ..." is "native_layer_norm:
    eps ...", a "()" of the other's dropped), one that begins with none given `called`'s.
    Any other error, one that names `called` already, or `called` None, as it is (only on
    the way out of a refused call: a call that succeeds never gets here)."""
    if called is None:
        return err
    text = str(err) or type(err).__name__
    if own is None and text.startswith((f"{called}: ", f"{called}()")):
        return err
    names = _ANY_NAME if own is None else "|".join(
        map(re.escape, (own,) if isinstance(own, str) else own))
    match = re.match(rf"(?:{names})(\(\))?(?: \([\w, ]+\))?: ", text)
    if match is None and own is not None:
        return err
    parens = "" if match is None or own is None else match.group(1) or ""
    message = f"{called}{parens}: {text[match.end():] if match else text}"
    try:
        renamed = type(err)(message)
    except Exception:  # noqa: BLE001  (a class that wants other arguments: left as it is)
        return err
    if str(renamed) != message:  # (one that writes its message otherwise, as KeyError)
        return err
    renamed.__cause__, renamed.__suppress_context__ = err.__cause__, True  # (err's twin)
    return renamed.with_traceback(err.__traceback__)


def _recounted(err: Exception, called: str, function: Callable, plain: Callable | None,
               given: int, counts_self: bool) -> TypeError | None:
    """Python's count of the arguments, restated as the user gave them (`_counted`): of
    `function`, where binding its own failed; of `plain`, the method it hands them to as
    they are, where binding failed there; None for any other error."""
    if _unbound(err):
        return _counted(called, function, given - counts_self, counts_self)
    if plain is not None and str(err).startswith(f"{plain.__qualname__}() takes "):
        return _counted(called, plain, given - 1, 1)
    return None


def refusing_as(called: str, *own: str, method: bool | None = None,
                plain: Callable | None = None) -> Callable:
    """Decorates a function that calls an op (or a method) named `own` under the name
    `called`, the one the user wrote (`x.unsafe_chunk`: chunk), or, no `own` given, calls
    whatever functions it needs (native_layer_norm: F.layer_norm): its refusals begin with
    `called` (`respelled`), and so does Python's complaint about the arguments (counted
    without the tensor where the function is a `method`: by default, where its first
    parameter is `self`; or by the parameters of `plain`, the method it hands its arguments
    to as they are, where Python refused them there: an in-place form's plain method)."""
    def decorate(function: Callable) -> Callable:
        counts_self = (next(iter(inspect.signature(function).parameters), None) == "self"
                       if method is None else method)

        @functools.wraps(function)
        def refusing(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception as err:  # (a refusal: said of the name called)
                restated = _recounted(err, called, function, plain, len(args), counts_self) or (
                    argument_error(err, called) if isinstance(err, TypeError) else err)
                if restated is not err:  # (Python's "_clamp_min() takes ...": said of called)
                    raise restated from None
                raise respelled(err, own or None, called)
        refusing.method_twin = None if counts_self else (  # (not function's, wraps copied)
            lambda: refusing_as(called, *own, method=True, plain=plain)(function))
        return refusing
    return decorate


def spell(result: Any, op: Any, name: str) -> None:
    """Keep `name`, the spelling a user called, on the node of `op` that made `result`
    (`node._spelled`, which the diagrams show in place of the op's own name)."""
    node = getattr(result, "_ctx", None)
    if type(node) is op and "_spelled" not in node.__dict__:
        node._spelled = name


def op_error(name: str, inputs: Sequence[Any], err: Exception, users_op: bool = False
             ) -> Exception:
    """NumPy's error from inside an op, restated with the op's name and input shapes
    (`users_op`: the op is a user's own, whose mistakes get a hint)."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    shapes = ", ".join(str(t.shape) for t in inputs)
    if text.startswith(name + ":"):
        return err  # the op wrote its own message
    if isinstance(err, AttributeError):  # (a built-in op's would be a bug: left as it is)
        return _arrays_not_tensors(name, text, err) if users_op else err
    counts = _COUNTS.match(text) if users_op else None
    ctx = not users_op or getattr(name, "forward_takes_ctx", True)  # (autograd_function's)
    if counts:  # Python counts ctx among forward's arguments (if any); the user gave the inputs
        takes, given = (int(n) - ctx for n in counts.groups())
        return TypeError(f"{name}: forward takes {takes} input{'s' * (takes != 1)} but apply "
                         f"was given {given}; a number given to apply is an argument of "
                         f"forward: add it there, or pass it as a keyword (apply(x, p=3))")
    if isinstance(err, TypeError) and _BINDING.match(text):
        return argument_error(err, name, hidden=ctx)  # (forward's ctx is not the user's)
    if users_op and "read-only" in text:
        return ValueError(f"{name}: forward wrote into an input array ({text}); the inputs "
                          f"are the caller's values: compute a new array (np.maximum(x, 0), "
                          f"not x[x < 0] = 0)")
    if isinstance(err, TypeError):
        dtypes = ", ".join(str(t.dtype) for t in inputs)
        number_given = any(t.ndim == 0 and not t.requires_grad for t in inputs[1:])
        hint = ("; a float array given to apply is an input: pass a parameter as a keyword "
                "(apply(x, dim=1))" if users_op and number_given else
                "; convert them with .astype or give float tensors")
        return TypeError(f"{name}: cannot compute it for inputs of dtypes {dtypes} (shapes "
                         f"{shapes}): {text}{hint}")
    if isinstance(err, MemoryError):
        return MemoryError(f"{name}: not enough memory for the result of inputs of shapes "
                           f"{shapes} ({err}); use smaller batches or check the shapes "
                           f"(an unintended broadcast?)")
    if "broadcast" in text:
        return ShapeError(f"{name}: shapes {shapes} do not broadcast together (NumPy's rule: "
                          f"compared from the last axis, each pair of sizes must be equal or "
                          f"one of them 1); reshape or transpose an operand")
    error = ShapeError if isinstance(err, ShapeError) or _JOIN_SHAPES.match(text) else ValueError
    return error(f"{name}: invalid inputs of shapes {shapes}: {text}")


def forward_result(ctx: Any, out: Any) -> np.ndarray:
    """What an op's forward returned, as one array of numbers that is the op's own; for a
    user's op, also a node attribute its forward set that the engine sets too."""
    if not ctx.built_in:
        _check_attributes(ctx)
    if isinstance(out, np.generic):  # (NumPy's 0-d arithmetic gives scalars)
        return np.asarray(out)
    if out is None or isinstance(out, (tuple, list)):  # (np.asarray would stack a tuple)
        raise TypeError(f"{type(ctx).name}: forward returned " + ("None; return the output "
                        "array (a missing return?)" if out is None else f"{len(out)} arrays; "
                        f"return one"))
    out = np.asarray(out)
    return out if out.flags.writeable else out.copy()  # (a view of a user's read-only input)


def _check_attributes(ctx: Any) -> None:
    """Refuse a node attribute a user's forward (or PyTorch 2's setup_context, run after
    it) set that the engine sets too, or a `ctx.saved_tensors` it set itself (a tuple is
    what save_for_backward keeps); the op named by its class: ctx.name may be the user's."""
    taken = [key for key in _NODE_ATTRIBUTES if key in vars(ctx)]
    if not (isinstance(ctx.parents, tuple) and len(ctx.parents) == 0):
        taken.insert(0, "parents")
    if not isinstance(ctx.needs_input_grad, tuple):  # (the engine reads it after forward)
        taken.insert(0, "needs_input_grad")
    who = f"{type(ctx).name}: {'forward' if type(ctx).setup_context is None else 'setup_context'}"
    if not isinstance(ctx.saved_tensors, tuple):
        raise TypeError(f"{who} set ctx.saved_tensors (to {type(ctx.saved_tensors).__name__}); "
                        f"save arrays with ctx.save_for_backward(x, ...), which keeps them")
    if taken:
        raise TypeError(f"{who} set ctx.{taken[0]}, which the engine sets on every node; keep "
                        f"your value under another name (ctx.my_{taken[0]}), or save arrays "
                        f"with ctx.save_for_backward")


def backward_error(name: str, err: Exception) -> Exception:
    """An error from inside an op's backward, restated with the op's name."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    if isinstance(err, AttributeError):
        return _arrays_not_tensors(f"backward of op '{name}'", text, err)
    hint = ("; grad and the saved arrays are shared with other ops: compute new arrays "
            "(grad * 2, not grad *= 2)" if "read-only" in text else "")
    if "to unpack (expected" in text and text.endswith("got 0)"):  # ctx.saved_tensors is ()
        hint = ("; if that is ctx.saved_tensors, forward saved nothing: keep what backward "
                "reads with ctx.save_for_backward(...) in forward")
    return ValueError(f"backward of op '{name}': {text}{hint}")


def _arrays_not_tensors(where: str, text: str, err: AttributeError) -> AttributeError:
    """Where a user's op called a Tensor method (`input.clamp(min=0)`) on the NumPy arrays
    its forward and backward get, saying so; any other AttributeError `err` as it is."""
    if "'numpy." not in text:
        return err
    return AttributeError(f"{where}: forward and backward get NumPy arrays, not Tensors as in "
                          f"PyTorch ({text}); use NumPy there (np.clip(x, 0, None) for clamp, "
                          f"x.copy() for clone), or compose the op from Tensor ops")

