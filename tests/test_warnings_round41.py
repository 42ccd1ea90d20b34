"""Every warning the package raises itself names the user's line (forty-first round).

Each case calls one public spelling of something that warns (a method, the `tg.` function,
PyTorch's keyword names through the torch_keywords wrappers, an alias, a layer's call) from
a lambda written here, so the line a user sees (`warnings.catch_warnings(record=True)`:
`filename`) must be this file, whichever wrapper the call went through inside.
"""
from __future__ import annotations

import warnings

import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F
from tinygrad_gd import nn


def _x(*shape, grad=False):
    return tg.ones(*shape, requires_grad=grad)


def _grad_only_inputs():
    x = _x(2, grad=True)
    return tg.autograd.grad((x * 2).sum(), [x], only_inputs=False)


def _mixed_grad():
    """a .grad that adds up gradients from before and after an update of its weight"""
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * 2).sum().backward()
    with tg.no_grad():
        w += 1
    (w * 2).sum().backward()
    return w


def _stepped_scheduler():
    w = tg.tensor([1.0], requires_grad=True)
    scheduler = tg.optim.lr_scheduler.StepLR(tg.optim.SGD([w], lr=0.1), step_size=1)
    return scheduler


def _always_called_hook_fails():
    class Fails(nn.Module):
        def forward(self, x):
            raise ValueError("forward fails")

    def bad_hook(module, args, output):
        raise RuntimeError("the hook fails too")
    layer = Fails()
    layer.register_forward_hook(bad_hook, always_call=True)
    with pytest.raises(ValueError, match="forward fails"):
        layer(_x(2))


def _full_backward_hooked():
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: None)
    return layer


def _module_returning_list():
    class Listed(nn.Module):
        def forward(self, x):
            return [x]
    layer = Listed()
    layer.register_full_backward_hook(lambda m, gi, go: None)
    return layer


# (name, what the message says, the call: each lambda's line is the user's line)
CASES = [
    ("var method", "degrees of freedom", lambda: _x(1).var(correction=1)),
    ("tg.var", "degrees of freedom", lambda: tg.var(_x(1), correction=1)),
    ("tg.var input=", "degrees of freedom", lambda: tg.var(input=_x(1), correction=1)),
    ("tg.std_mean", "degrees of freedom", lambda: tg.std_mean(_x(1))),
    ("std method", "degrees of freedom", lambda: _x(2).std(correction=2)),
    ("autograd.grad only_inputs", "only_inputs",
     lambda: _grad_only_inputs()),
    ("autograd.backward grad_variables", "grad_variables",
     lambda: tg.autograd.backward([(_x(2, grad=True) * 2).sum()],
                                  grad_variables=[tg.tensor(1.0)])),
    ("register_module_backward_hook", "register_module_backward_hook",
     lambda: nn.modules.module.register_module_backward_hook(lambda *a: None).remove()),
    ("gumbel_softmax eps", "eps is deprecated",
     lambda: F.gumbel_softmax(_x(3), eps=1e-5)),
    ("InstanceNorm1d channels", "normalised anyway",
     lambda: nn.InstanceNorm1d(3)(tg.randn(2, 4, 5))),
    ("init.kaiming_uniform_ empty", "zero-element",
     lambda: nn.init.kaiming_uniform_(tg.empty(0, 3))),
    ("init.normal deprecated", "deprecated", lambda: nn.init.normal(tg.empty(2))),
    ("grid_sample default", "align_corners",
     lambda: F.grid_sample(_x(1, 1, 2, 2), tg.zeros(1, 1, 1, 2))),
    ("affine_grid default", "align_corners",
     lambda: F.affine_grid(tg.zeros(1, 2, 3), [1, 1, 2, 2])),
    ("affine_grid unit size", "unit-size",
     lambda: F.affine_grid(tg.zeros(1, 2, 3), [1, 1, 1, 2], align_corners=True)),
    ("F.upsample", "deprecated", lambda: F.upsample(_x(1, 1, 2), scale_factor=2)),
    ("F.upsample_nearest", "deprecated", lambda: F.upsample_nearest(_x(1, 1, 2), scale_factor=2)),
    ("LSTM dropout", "dropout", lambda: nn.LSTM(2, 3, dropout=0.5)),
    ("state_dict positional", "positional", lambda: nn.Linear(2, 2).state_dict(None)),
    ("Hardtanh min_value", "min_value", lambda: nn.Hardtanh(min_value=-2.0)),
    ("MultiheadAttention masks", "mismatched",
     lambda: nn.MultiheadAttention(4, 1)(_x(2, 1, 4), _x(2, 1, 4), _x(2, 1, 4),
                                         key_padding_mask=tg.tensor([[False, True]]),
                                         attn_mask=tg.zeros(2, 2))),
    ("clip_grad_norm", "clip_grad_norm", lambda: nn.utils.clip_grad_norm([_x(2)], 1.0)),
    ("weight_norm", "weight_norm", lambda: nn.utils.weight_norm(nn.Linear(2, 2))),
    ("NLLLoss2d", "NLLLoss2d", lambda: nn.NLLLoss2d()),
    ("Container", "Container", lambda: nn.Container()),
    ("MSELoss size_average", "size_average", lambda: nn.MSELoss(size_average=False)),
    ("F.mse_loss reduce", "size_average", lambda: F.mse_loss(_x(2), _x(2), reduce=False)),
    ("Variable volatile", "volatile", lambda: tg.autograd.Variable(_x(2), volatile=True)),
    ("resize method", "non-inplace", lambda: _x(2, 2).resize(4)),
    ("resize_as method", "non-inplace", lambda: _x(2, 2).resize_as(_x(4))),
    ("set_num_interop_threads", "set_num_interop_threads",
     lambda: tg.set_num_interop_threads(4)),
    ("set_default_tensor_type", "deprecated",
     lambda: tg.set_default_tensor_type(tg.DoubleTensor)),  # (the default already)
    ("grad of a result", "is None", lambda: (_x(2, grad=True) * 2).grad),
    ("tensor of a tensor", "requires a gradient", lambda: tg.tensor([_x(grad=True)])),
    ("mixed .grad", "before and after an update", lambda: _mixed_grad().grad),
    ("scheduler before optimizer", "before `optimizer.step()`",
     lambda: _stepped_scheduler().step()),
    ("assert_allclose", "assert_allclose",
     lambda: tg.testing.assert_allclose(tg.ones(2), tg.ones(2))),
    ("make_tensor low == high", "low == high",
     lambda: tg.testing.make_tensor((2,), dtype=tg.float64, device="cpu", low=1.0,
                                        high=1.0)),
    ("tg.range", "range is deprecated", lambda: tg.range(0, 2)),
    ("checkpoint use_reentrant", "use_reentrant",
     lambda: tg.utils.checkpoint.checkpoint(lambda t: t * 2, _x(2, grad=True))),
    ("checkpoint no grad", "None of the inputs",
     lambda: tg.utils.checkpoint.checkpoint(lambda t: t * 2, _x(2), use_reentrant=True)),
    ("checkpoint_sequential", "use_reentrant",
     lambda: tg.utils.checkpoint.checkpoint_sequential([nn.Identity()], 1, _x(2, grad=True))),
    ("Wishart low df", "low df",
     lambda: tg.distributions.Wishart(df=tg.tensor(1.5), covariance_matrix=tg.eye(2))),
    ("always_call hook fails", "always_call",
     lambda: _always_called_hook_fails()),
    ("full backward hook, no input grad", "full backward hook",
     lambda: _full_backward_hooked()(_x(2)).sum().backward()),
    ("module output a list", "should be a Tensor", lambda: _module_returning_list()(_x(2))),
]


@pytest.mark.parametrize("expected, call", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_warning_names_the_users_line(expected, call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    ours = [w for w in caught if expected in str(w.message)]
    assert ours, f"no warning saying {expected!r}: {[str(w.message) for w in caught]}"
    for w in ours:
        assert w.filename == __file__, f"{w.message} points at {w.filename}:{w.lineno}"
