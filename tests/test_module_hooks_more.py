"""Module hooks beyond the forward ones, against torch 2.13: the full backward hooks and
backward pre-hooks (their arguments, replacements, order, removal, bad hooks), the
deprecated register_backward_hook, forward hooks with always_call=True, and the
state-dict hooks (state_dict's pre- and post-hooks, load_state_dict's pre- and
post-hooks). Gradients with a hook on are checked with tg.gradcheck."""
from __future__ import annotations

from collections import OrderedDict

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 3))


class Scaled(nn.Module):
    """Two tensor inputs (the second often needs no gradient) and a number."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2, seed=0)

    def forward(self, a, b, k=2.0):
        return self.lin(a) * b * k


class TwoOut(nn.Module):
    def forward(self, a, b):
        return a * b, a + 1.0


def _seq():
    return nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1))


def _torch_copy(torch, ours, theirs):
    theirs.double().load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return theirs


def _torch_seq(torch, ours):
    return _torch_copy(torch, ours, torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)))


def _same(ours, theirs):
    """Two tuples of hook arguments (ours, torch's): the same Nones, the same values."""
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def _same_logs(logs):
    assert [entry[0] for entry in logs[0]] == [entry[0] for entry in logs[1]]
    for entry_a, entry_b in zip(*logs):
        for part_a, part_b in zip(entry_a[1:], entry_b[1:]):
            _same(part_a, part_b)


def _record(module, log, name=""):
    module.register_full_backward_pre_hook(lambda m, go: log.append((name + "pre", go)))
    module.register_full_backward_hook(lambda m, gi, go: log.append((name + "full", gi, go)))


# ----------------------------------------------------------------- backward hooks' arguments


@pytest.mark.parametrize("make", ["linear", "sequential"])
def test_hook_arguments_match_torch(make):
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2, seed=0) if make == "linear" else _seq()
    theirs = (_torch_copy(torch, ours, torch.nn.Linear(3, 2)) if make == "linear"
              else _torch_seq(torch, ours))
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        _record(model, log)
        if make == "sequential":
            _record(model[0], log, "0.")
    x = Tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    (ours(x) ** 2).sum().backward()
    (theirs(tx) ** 2).sum().backward()
    _same_logs(logs)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_inputs_without_gradient_as_torch():
    torch = pytest.importorskip("torch")
    ours = Scaled()
    theirs = torch.nn.Module()
    theirs.lin = torch.nn.Linear(3, 2).double()
    theirs.lin.load_state_dict({k[4:]: torch.tensor(v) for k, v in ours.state_dict().items()})
    theirs.forward = lambda a, b, k=2.0: theirs.lin(a) * b * k
    b = RNG.standard_normal((5, 2))
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        _record(model, log)
    x, tx = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ours(x, Tensor(b), 3.0).sum().backward()
    torch.nn.Module.__call__(theirs, tx, torch.tensor(b), 3.0).sum().backward()
    (_, go), (_, gi, go2) = logs[0]
    # a tensor that needs no gradient: zeros (PyTorch's); a number: None
    assert len(gi) == 3 and not gi[1].numpy().any() and gi[2] is None and gi[0].shape == (5, 3)
    _same_logs(logs)


def test_no_input_needs_a_gradient_fires_at_the_output_with_a_warning():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2, seed=0)
    theirs = _torch_copy(torch, ours, torch.nn.Linear(3, 2))
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        _record(model, log)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        ours(Tensor(X)).sum().backward()
    with pytest.warns(UserWarning):
        theirs(torch.tensor(X)).sum().backward()
    assert logs[0][1][1] == (None,)
    _same(logs[0][1][2], logs[1][1][2])
    # there it must return None (or Nones)
    ours.register_full_backward_hook(lambda m, gi, go: (Tensor(np.ones((5, 3))),))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Linear.*None"):
        ours(Tensor(X)).sum().backward()


def test_several_outputs_unused_one_is_none_and_unused_input_zero_as_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Module()
    theirs.forward = lambda a, b: (a * b, a + 1.0)
    ours = TwoOut()
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        _record(model, log)
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ours(x, y)[1] * 3).sum().backward()  # the first output unused: y gets zeros
    (torch.nn.Module.__call__(theirs, tx, ty)[1] * 3).sum().backward()
    assert logs[0][0][1][0] is None
    _same_logs(logs)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


# ----------------------------------------------------------------- replacements


def test_replacements_change_gradients_as_torch():
    torch = pytest.importorskip("torch")
    ours = _seq()
    theirs = _torch_seq(torch, ours)
    for model in (ours, theirs):
        model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * -2,))
        model.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
    x, tx = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    (ours(x) ** 2).sum().backward()
    (theirs(tx) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12, err_msg=name)


def test_replacing_with_none_stops_the_gradient_and_pre_hook_takes_one_tensor():
    model = nn.Linear(3, 2, seed=0)
    handle = model.register_full_backward_hook(lambda m, gi, go: (None,))
    x = Tensor(X, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is None and model.weight.grad is not None
    handle.remove()
    model.zero_grad()
    model.register_full_backward_pre_hook(lambda m, go: go[0] * 0)  # one Tensor, documented
    model(x).sum().backward()
    assert not model.weight.grad.numpy().any()


def test_gradcheck_with_hooks_on():
    model = _seq()
    model.register_full_backward_hook(lambda m, gi, go: None)
    model[1].register_full_backward_pre_hook(lambda m, go: None)
    two = TwoOut()
    two.register_full_backward_hook(lambda m, gi, go: None)
    assert tg.gradcheck(lambda x: model(x), [Tensor(X, requires_grad=True)])
    assert tg.gradcheck(lambda w: model(Tensor(X) @ w), [Tensor(RNG.standard_normal((3, 3)),
                                                            requires_grad=True)])
    with pytest.warns(UserWarning, match="no inputs require gradients"):  # (x needs none)
        assert tg.gradcheck(lambda w: tg.func.functional_call(model, {"0.weight": w},
                                                              (Tensor(X),)),
                            [Tensor(model[0].weight.numpy(), requires_grad=True)])
    assert tg.gradcheck(lambda a, b: two(a, b)[0] * two(b, a)[1],
                        [Tensor(RNG.standard_normal(4), requires_grad=True),
                         Tensor(RNG.standard_normal(4), requires_grad=True)])
    # with respect to the parameters too: a hook that doubles grad_output
    model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    x = Tensor(X)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        model(x).sum().backward()
        doubled = model[0].weight.grad.numpy().copy()
        model.zero_grad()
        model[2]._backward_pre_hooks.clear()
        model(x).sum().backward()
    np.testing.assert_allclose(doubled, 2 * model[0].weight.grad.numpy())


def test_float32_kept_and_empty_batch():
    model = nn.Linear(3, 2, seed=0).float()
    seen = []
    model.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0], go[0])))
    x = Tensor(X.astype(np.float32), requires_grad=True)
    out = model(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert seen[0][0].dtype == seen[0][1].dtype == x.grad.dtype == np.float32
    empty = Tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    model(empty).sum().backward()
    assert seen[1][0].shape == (0, 3) and seen[1][1].shape == (0, 2)


def test_order_prepend_remove_and_no_grad():
    model = nn.Linear(3, 2, seed=0)
    calls = []
    first = model.register_full_backward_hook(lambda m, gi, go: calls.append("a"))
    model.register_full_backward_hook(lambda m, gi, go: calls.append("b"))
    model.register_full_backward_hook(lambda m, gi, go: calls.append("c"), prepend=True)
    model.register_full_backward_pre_hook(lambda m, go: calls.append("pre1"))
    model.register_full_backward_pre_hook(lambda m, go: calls.append("pre0"), prepend=True)
    x = Tensor(X, requires_grad=True)
    model(x).sum().backward()
    assert calls == ["pre0", "pre1", "c", "a", "b"]
    first.remove()
    first.remove()  # a second removal does nothing
    calls.clear()
    model(x).sum().backward()
    assert calls == ["pre0", "pre1", "c", "b"]
    calls.clear()
    with tg.no_grad():
        out = model(x)
    assert not out.requires_grad and calls == []


def test_order_matches_torch_across_modules():
    torch = pytest.importorskip("torch")
    ours = _seq()
    theirs = _torch_seq(torch, ours)
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        for name, module in model.named_modules():
            module.register_full_backward_pre_hook(
                lambda m, go, n=name, log=log: log.append("pre" + n))
            module.register_full_backward_hook(
                lambda m, gi, go, n=name, log=log: log.append("full" + n))
    ours(Tensor(X, requires_grad=True)).sum().backward()
    theirs(torch.tensor(X, requires_grad=True)).sum().backward()
    assert logs[0] == logs[1]


def test_deprecated_register_backward_hook_is_the_full_hook_with_a_warning():
    model = _seq()
    seen = []
    with pytest.warns(FutureWarning, match="register_full_backward_hook"):
        model.register_backward_hook(lambda m, gi, go: seen.append(gi))
    model(Tensor(X, requires_grad=True)).sum().backward()
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].shape == (5, 3)


def test_bad_backward_hooks_are_refused_in_one_line():
    model = nn.Linear(3, 2, seed=0)
    for register in (model.register_full_backward_hook, model.register_full_backward_pre_hook,
                     model.register_state_dict_pre_hook, model.register_load_state_dict_post_hook):
        with pytest.raises(TypeError, match=r"register_\w+: hook must be callable, got int"):
            register(3)
    with pytest.raises(TypeError, match="prepend must be True or False"):
        model.register_full_backward_hook(print, prepend="yes")
    x = Tensor(X, requires_grad=True)
    cases = [
        ("full", lambda m, gi, go: (gi[0], gi[0]), RuntimeError,
         "invalid number of grad_input, got 2, but expected 1"),
        ("full", lambda m, gi, go: gi[0], TypeError, "returned Tensor; return None or a tuple"),
        ("full", lambda m, gi, go: (Tensor(np.ones(3)),), RuntimeError,
         r"grad_input\[0\] of shape \(3,\) for a gradient of shape \(5, 3\)"),
        ("full", lambda m, gi, go: ("x",), TypeError, r"returned str as grad_input\[0\]"),
        ("pre", lambda m, go: (go[0], go[0]), RuntimeError,
         "invalid number of grad_output, got 2, but expected 1"),
        ("pre", lambda m, go: 5, TypeError, "returned int"),
    ]
    for kind, hook, error, message in cases:
        bad = nn.Linear(3, 2, seed=0)
        (bad.register_full_backward_hook if kind == "full"
         else bad.register_full_backward_pre_hook)(hook)
        with pytest.raises(error, match=message) as info:
            bad(x).sum().backward()
        assert "\n" not in str(info.value) and "Linear" in str(info.value)


def test_non_tensor_output_warns_and_hooks_do_not_run():
    class Dict(nn.Module):
        def forward(self, a):
            return {"a": a * 2}
    model, seen = Dict(), []
    model.register_full_backward_hook(lambda m, gi, go: seen.append(1))
    with pytest.warns(UserWarning, match="Tensor or a tuple of Tensors"):
        out = model(Tensor(X, requires_grad=True))
    out["a"].sum().backward()
    assert seen == []


def test_diagrams_draw_a_model_with_hooks():
    model = _seq()
    model[0].register_full_backward_hook(lambda m, gi, go: None)
    loss = (model(Tensor(X, requires_grad=True)) ** 2).mean()
    loss.backward()
    for mode in ("forward", "backward"):
        assert "digraph" in tg.draw_graph(loss, model=model, mode=mode).source


# ----------------------------------------------------------------- always_call


def test_always_call_runs_when_forward_raises_as_torch():
    torch = pytest.importorskip("torch")

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    class TorchBoom(torch.nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    logs = [], []
    for model, log in zip((Boom(), TorchBoom()), logs):
        model.register_forward_hook(lambda m, a, o, log=log: log.append(("plain", o)))
        model.register_forward_hook(lambda m, a, o, log=log: log.append(("always", len(a), o)),
                                    always_call=True)
        model.register_forward_hook(lambda m, a, k, o, log=log: log.append(("kw", k, o)),
                                    always_call=True, with_kwargs=True)
        with pytest.raises(ValueError, match="boom"):
            model(1.0)
    assert logs[0] == logs[1] == [("always", 1, None), ("kw", {}, None)]


def test_always_call_after_a_hook_raises_as_torch():
    torch = pytest.importorskip("torch")
    logs = [], []
    for model, log in zip((nn.Linear(3, 2, seed=0), torch.nn.Linear(3, 2).double()), logs):
        def broken(m, a, o):
            raise KeyError("hook")
        model.register_forward_hook(lambda m, a, o, log=log: log.append("first"),
                                    always_call=True)
        model.register_forward_hook(broken)
        model.register_forward_hook(lambda m, a, o, log=log: log.append(tuple(o.shape)),
                                    always_call=True)
        model.register_forward_hook(lambda m, a, o: 1 / 0, always_call=True, prepend=True)
        x = Tensor(X) if isinstance(model, nn.Module) else torch.tensor(X)
        with pytest.raises(ZeroDivisionError):
            model(x)
        log.append("then")
        model._forward_hooks.popitem(last=False)
        with pytest.raises(KeyError):
            model(x)
    assert logs[0] == logs[1] == ["first", (5, 2), "then", "first", (5, 2)]


def test_always_call_flag_checked_and_removed_with_its_hook():
    model = nn.Linear(3, 2, seed=0)
    with pytest.raises(TypeError, match="register_forward_hook: always_call must be True or "
                                        "False, got int"):
        model.register_forward_hook(print, always_call=1)
    handle = model.register_forward_hook(print, always_call=True)
    assert handle.id in model._forward_hooks_always_called
    handle.remove()
    assert handle.id not in model._forward_hooks_always_called


def test_always_called_hook_error_becomes_a_warning():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    model = Boom()
    model.register_forward_hook(lambda m, a, o: 1 / 0, always_call=True)
    with pytest.warns(UserWarning, match="silenced.*division by zero"):
        with pytest.raises(ValueError, match="boom"):
            model(1.0)


# ----------------------------------------------------------------- state_dict hooks


def _state_logs(torch):
    ours = _seq()
    theirs = _torch_seq(torch, ours)
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        for name, module in model.named_modules():
            module.register_state_dict_pre_hook(
                lambda m, prefix, keep, n=name, log=log: log.append(("pre", n, prefix, keep)))
            module.register_state_dict_post_hook(
                lambda m, sd, prefix, meta, n=name, log=log: log.append(
                    ("post", n, prefix, list(sd), meta)))
    return ours, theirs, logs


def test_state_dict_hooks_arguments_and_order_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs, logs = _state_logs(torch)
    mine = ours.state_dict(prefix="model.", keep_vars=True)
    theirs.state_dict(prefix="model.", keep_vars=True)
    assert logs[0] == logs[1]
    assert list(mine) == [entry for entry in logs[0] if entry[0] == "post"][-1][3]


def test_state_dict_post_hook_changes_in_place_and_must_return_none():
    model = nn.Linear(3, 2, seed=0)
    model.register_state_dict_post_hook(lambda m, sd, prefix, meta: sd.pop(prefix + "bias"))
    with pytest.raises(RuntimeError, match="state_dict: a state_dict post-hook of Linear "
                                           "returned a value; it must return None"):
        model.state_dict()
    model._state_dict_hooks.clear()
    handle = model.register_state_dict_post_hook(
        lambda m, sd, prefix, meta: sd.update(extra=np.zeros(1)))
    assert list(model.state_dict()) == ["weight", "bias", "extra"]
    handle.remove()
    assert list(model.state_dict()) == ["weight", "bias"]


def test_state_dict_pre_hook_runs_before_the_module_is_saved():
    model = nn.Linear(3, 2, seed=0)

    def zero(m, prefix, keep_vars):
        m.bias.data[...] = 0
    model.register_state_dict_pre_hook(zero)
    assert not model.state_dict()["bias"].any()


# ----------------------------------------------------------------- load_state_dict hooks


def _load_logs(torch, strict=True):
    ours, theirs, _ = _state_logs(torch)
    logs = [], []
    for model, log in zip((ours, theirs), logs):
        for name, module in model.named_modules():
            module.register_load_state_dict_pre_hook(
                lambda m, sd, prefix, meta, strict_, missing, unexpected, errors, n=name,
                log=log: log.append(("pre", n, sorted(sd), prefix, meta, strict_,
                                     list(errors))))
            module.register_load_state_dict_post_hook(
                lambda m, keys, n=name, log=log: log.append(("post", n, sorted(keys.missing_keys),
                                                             sorted(keys.unexpected_keys))))
    return ours, theirs, logs


def test_load_hooks_arguments_and_order_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs, logs = _load_logs(torch)
    state = ours.state_dict()
    ours.load_state_dict(state, assign=False)
    given = OrderedDict((k, torch.tensor(v)) for k, v in state.items())
    given._metadata = state._metadata  # (each module's version, as torch's state_dict has)
    theirs.load_state_dict(given)
    # PyTorch's pre-hooks in its order, and its post-hooks (children first) in its order;
    # here every pre-hook runs before anything is loaded, every post-hook after
    for kind in ("pre", "post"):
        assert [e for e in logs[0] if e[0] == kind] == [e for e in logs[1] if e[0] == kind]
    assert [e[0] for e in logs[0]] == ["pre"] * 4 + ["post"] * 4


def test_load_pre_hook_renames_an_old_name_as_torch():
    torch = pytest.importorskip("torch")
    ours = _seq()
    theirs = _torch_seq(torch, ours)
    old = {k.replace("weight", "w"): v + 1 for k, v in ours.state_dict().items()}

    def rename(m, sd, prefix, meta, strict, missing, unexpected, errors):
        if prefix + "w" in sd:
            sd[prefix + "weight"] = sd.pop(prefix + "w")
    for model in (ours, theirs):
        for module in (model[0], model[2]):
            module.register_load_state_dict_pre_hook(rename)
    ours.load_state_dict(old)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in old.items()})
    for (name, value), theirs_value in zip(ours.state_dict().items(),
                                           theirs.state_dict().values()):
        np.testing.assert_allclose(value, theirs_value.numpy(), err_msg=name)
    assert "w" not in old.get("0.w", {}) and "0.w" in old  # the caller's dict unchanged


def test_load_pre_hook_error_message_refuses_and_loads_nothing():
    model = nn.Linear(3, 2, seed=0)
    before = model.weight.numpy().copy()
    model.register_load_state_dict_pre_hook(
        lambda m, sd, prefix, meta, strict, missing, unexpected, errors:
        errors.append("version 3 is not readable"))
    with pytest.raises(RuntimeError, match="nothing was loaded:\n  version 3 is not readable"):
        model.load_state_dict({k: v + 1 for k, v in model.state_dict().items()})
    np.testing.assert_array_equal(model.weight.numpy(), before)


def test_load_metadata_and_assign_flag():
    model, seen = nn.Linear(3, 2, seed=0), []
    model.register_load_state_dict_pre_hook(lambda m, sd, prefix, meta, *rest: seen.append(meta))

    class WithMetadata(dict):
        _metadata = {"": {"version": 1}}
    model.load_state_dict(model.state_dict())
    model.load_state_dict(WithMetadata(model.state_dict()), assign=True)
    assert seen == [{"version": 1}, {"version": 1, "assign_to_params_buffers": True}]


def test_load_post_hook_clears_missing_keys_as_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2, seed=0)
    theirs = _torch_copy(torch, ours, torch.nn.Linear(3, 2))
    state = {"weight": ours.state_dict()["weight"] + 1}

    def forgive(m, keys):
        keys.missing_keys.remove("bias")
    for model in (ours, theirs):
        model.register_load_state_dict_post_hook(forgive)
    result = ours.load_state_dict(state)
    expected = theirs.load_state_dict({"weight": torch.tensor(state["weight"])})
    assert repr(result) == repr(expected) == "<All keys matched successfully>"
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy())


def test_load_post_hook_strict_still_refuses_and_must_return_none():
    model = nn.Linear(3, 2, seed=0)
    seen = []
    handle = model.register_load_state_dict_post_hook(lambda m, keys: seen.append(keys))
    state = {"weight": model.state_dict()["weight"] + 1, "extra": np.zeros(1)}
    with pytest.raises(RuntimeError, match=r"matching entries were loaded[\s\S]*bias: in the "
                                           r"model, missing[\s\S]*extra: in the state"):
        model.load_state_dict(state)
    np.testing.assert_allclose(model.weight.numpy(), state["weight"])  # as torch: loaded
    assert seen[0].missing_keys == ["bias"] and seen[0].unexpected_keys == ["extra"]
    handle.remove()
    model.register_load_state_dict_post_hook(lambda m, keys: keys)
    with pytest.raises(RuntimeError, match="post-hook of Linear returned a value; it must "
                                           "return None"):
        model.load_state_dict(model.state_dict())


def test_no_hook_keeps_the_plain_paths():
    model = _seq()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state = model.state_dict()
        assert repr(model.load_state_dict(state)) == "<All keys matched successfully>"
        model(Tensor(X, requires_grad=True)).sum().backward()


def test_the_private_load_pre_hook_spelling_libraries_call_is_pytorchs():
    # torch's own spectral_norm and some libraries call _register_load_state_dict_pre_hook
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (torch, tg):
        layer, calls = lib.nn.Linear(2, 3), []
        layer._register_load_state_dict_pre_hook(
            lambda state, prefix, *rest, calls=calls: calls.append((sorted(state), prefix,
                                                                    len(rest))))
        handle = layer._register_load_state_dict_pre_hook(
            lambda module, *rest, calls=calls: calls.append(type(module).__name__),
            with_module=True)
        layer.load_state_dict(layer.state_dict())
        handle.remove()
        layer.load_state_dict(layer.state_dict())
        seen[lib.__name__] = calls
    assert seen["tinygrad_gd"] == seen["torch"]
    with pytest.raises(TypeError, match="_register_load_state_dict_pre_hook: hook must be "
                                        "callable, got int 3"):
        nn.Linear(2, 3)._register_load_state_dict_pre_hook(3)
