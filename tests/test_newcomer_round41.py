"""A learner's first hour, read as a newcomer (forty-first round): what the engine, its page,
the getting-started page and the op-writing guide say is what the code does.

- The engine's docstring (quoted at the top of the docs' engine page) names every extra
  that joins the extension point; the page names each one's module.
- The op the `Function` docstring calls with `p=3` is the one the README defines with a
  keyword `p`, and it runs as written.
- `Tensor.backward`'s docstring tells the reader to clear `.grad` with calls that exist.
- A user's op whose forward saved nothing, and whose backward unpacks
  `ctx.saved_tensors`, is told to call `ctx.save_for_backward`.
- What the engine page's `Mul` calls is explained in the page's prose.
- Getting started's "Every line has a PyTorch twin": each keyword torch.nn's twin refuses
  is named on the page as this package's own; the "Moving on to PyTorch" row for
  `nn.Linear`'s `init=` names torch's functions that draw the same weights.
- The op-writing guide's test file passes under pytest, as the guide says to run it.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import engine, nn, optim

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tinygrad_gd"
DOCS = REPO / "docs"

# how the engine's docstring names the extra each module switches on
EXTRA_IN_DOCSTRING = {
    "anomaly": "anomaly mode", "versions": "in-place checks", "hooks": "gradient and",
    "autograd_graph": "saved-array hooks", "scope": "module scope", "forward_ad": "forward mode",
    "inference": "inference tensors", "utils/checkpoint": "checkpointing",
    "in_place_shapes": "reshapes in place", "old_layouts": "their old layouts",
}


def _modules_switching_extras() -> set[str]:
    """The package's modules that call engine.switch (as `switch(...)` or `engine.switch`)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "engine.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and (
                    isinstance(node.func, ast.Name) and node.func.id == "switch"
                    or isinstance(node.func, ast.Attribute) and node.func.attr == "switch"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "engine"):
                found.add(path.relative_to(PACKAGE).with_suffix("").as_posix())
    return found


def test_the_engines_docstring_and_page_name_every_extra():
    modules = _modules_switching_extras()
    assert "versions" in modules and "utils/checkpoint" in modules  # the scan finds them
    assert modules - set(EXTRA_IN_DOCSTRING) == set(), "an extra the docstring does not name"
    doc = " ".join(engine.__doc__.split())
    for module in modules:
        assert EXTRA_IN_DOCSTRING[module] in doc, module
    page = (DOCS / "concepts" / "engine.md").read_text()
    for module in modules:
        assert f"`{module}.py`" in page, f"the engine page does not name {module}.py"


def test_the_function_docstrings_call_is_the_readmes_op_with_a_keyword():
    called = re.search(r"`(\w+)\.apply\(x, p=3\)`", tg.Function.__doc__)[1]
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"an op `{called}` with `def forward(ctx, x, *, p)`" in readme

    class Power(tg.Function, register=False):  # the README's op, as it describes it
        def forward(ctx, x, *, p):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)

    x = tg.Tensor([-1.5, 0.5, 2.0], requires_grad=True)
    assert Power.__name__ == called
    np.testing.assert_allclose(Power.apply(x, p=3).numpy(), x.numpy() ** 3)
    assert tg.gradcheck(lambda t: Power.apply(t, p=3), [x])


def test_backward_docstring_clears_grad_with_calls_that_exist():
    doc = " ".join(tg.Tensor.backward.__doc__.split())
    advice = re.search(r"accumulate across calls: (.*?)\)\. `gradient`", doc)[1]
    calls = re.findall(r"`(?:(\w+)\.)?(\w+)\(\)`", advice)
    assert calls and "`w.grad = None`" in advice
    for owner, name in calls:  # each call named there exists where it is said to
        assert hasattr(optim.Optimizer if owner == "optimizer" else tg.Tensor, name), name
    # and following it gives each step its own gradient: d(w.x)/dw = x, not 2x
    w = nn.Parameter([0.5, -1.0])
    x = tg.Tensor([3.0, 4.0])
    optimizer = optim.SGD([w], lr=0.1)
    for clear in (optimizer.zero_grad, lambda: setattr(w, "grad", None)):
        (w * x).sum().backward()
        clear()
        (w * x).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), x.numpy())
        w.grad = None


def test_a_forward_that_saved_nothing_is_told_to_save():
    class Cube(tg.Function, register=False):
        def forward(ctx, x):  # the README's Cube without its save_for_backward
            return x ** 3

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"^backward of op 'cube': not enough values to unpack "
                       r"\(expected 1, got 0\); .*ctx\.save_for_backward\(\.\.\.\) in forward"):
        Cube.apply(x).sum().backward()

    class Wrong(tg.Function, register=False):  # another unpacking mistake: no such hint
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * 2

    with pytest.raises(ValueError, match=r"expected 2, got 1\)$"):
        Wrong.apply(x).sum().backward()


@pytest.mark.torch
def test_torch_refuses_the_same_mistake_with_the_same_type(torch64):
    class Cube(torch64.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    with pytest.raises(ValueError, match=r"expected 1, got 0"):
        Cube.apply(torch64.ones(2, requires_grad=True)).sum().backward()


def test_what_the_engine_pages_mul_calls_is_explained_there():
    page = (DOCS / "concepts" / "engine.md").read_text()
    assert "<!-- include tinygrad_gd.ops.elementwise:Mul -->" in page
    from tinygrad_gd.ops.elementwise import Mul
    tree = ast.parse(inspect.getsource(Mul).strip())
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    called -= set(dir(builtins))
    assert called, "the scan finds the functions Mul calls"
    prose = re.sub(r"```.*?```", "", page, flags=re.S)
    for name in called:
        assert f"`{name}`" in prose, f"the engine page's Mul calls {name}, which it never explains"


def _first_block(page: Path) -> str:
    return re.search(r"```python\n(.*?)```", page.read_text(), re.S)[1]


@pytest.mark.torch
def test_getting_starteds_keywords_have_torch_twins_or_are_named_ours(torch64):
    page = DOCS / "getting-started.md"
    prose = " ".join(re.sub(r"```.*?```", "", page.read_text(), flags=re.S).split())
    assert "Every line has a PyTorch twin" in prose
    twins = {"nn": torch64.nn, "optim": torch64.optim}
    checked = 0
    for node in ast.walk(ast.parse(_first_block(page))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in twins):
            continue
        twin = getattr(twins[node.func.value.id], node.func.attr)
        accepted = inspect.signature(twin).parameters
        for keyword in node.keywords:
            checked += 1
            if keyword.arg in accepted:
                continue
            written = f"`{keyword.arg}={ast.unparse(keyword.value)}`".replace("'", '"')
            assert f"only {written} is this package's own" in prose, written
            with pytest.raises(TypeError, match=f"unexpected keyword argument '{keyword.arg}'"):
                twin(3, 1, **{keyword.arg: ast.literal_eval(keyword.value)})
    assert checked >= 3  # bias=, init=, lr=


# our init -> (what the "Moving on to PyTorch" row names, torch's drawing on a weight)
TORCH_INITS = {
    "he": ('kaiming_normal_(layer.weight, nonlinearity="relu")',
           lambda torch, w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu")),
    "normal": ("normal_(layer.weight, std=in_features ** -0.5)",
               lambda torch, w: torch.nn.init.normal_(w, std=w.shape[1] ** -0.5)),
    "xavier": ("xavier_uniform_", lambda torch, w: torch.nn.init.xavier_uniform_(w)),
    "zeros": ("zeros_", lambda torch, w: torch.nn.init.zeros_(w)),
}


@pytest.mark.torch
def test_to_pytorch_row_for_linears_init_draws_the_same_weights(torch64):
    row = next(line for line in (DOCS / "concepts" / "to-pytorch.md").read_text().splitlines()
               if line.startswith("| `nn.Linear(784, 128, init=\"he\", seed=0)`"))
    with pytest.raises(TypeError, match="unexpected keyword argument 'init'"):
        torch64.nn.Linear(784, 128, init="he")
    assert "zeros_(layer.bias)" in row
    torch64.manual_seed(0)
    for init, (named, draw) in TORCH_INITS.items():
        assert f"`{named}` for `\"{init}\"`" in row or f"`torch.nn.init.{named}` for `\"{init}\"`" \
            in row, init
        ours = nn.Linear(784, 128, init=init, seed=0)
        theirs = torch64.nn.Linear(784, 128)
        with torch64.no_grad():
            draw(torch64, theirs.weight)
        a, b = ours.weight.numpy(), theirs.weight.detach().numpy()
        # the same distribution: mean 0, the same spread and the same largest size
        assert abs(a.mean()) < 3e-3 and abs(b.mean()) < 3e-3
        np.testing.assert_allclose(a.std(), b.std(), rtol=0.02, atol=1e-12)
        np.testing.assert_allclose(np.abs(a).max(), np.abs(b).max(), rtol=0.25, atol=1e-12)
        assert not ours.bias.numpy().any()  # the row's zeros_(layer.bias)


def test_the_op_writing_guides_test_file_passes_under_pytest(tmp_path):
    page = (DOCS / "testing.md").read_text()
    command = "bash scripts/test.sh tests/test_my_ops.py"
    assert f"`{command}`" in page and "`pip install pytest`, then `pytest`" in page
    guide = _first_block(DOCS / "testing.md")
    assert "def test_cube_gradient" in guide
    fixture_test = ("\n\ndef test_with_the_fixture(gradcheck):\n"
                    "    gradcheck(Cube.apply, [tg.Tensor([0.5, 2.0], requires_grad=True)])\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_my_ops.py").write_text(guide + fixture_test)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "tests/test_my_ops.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
