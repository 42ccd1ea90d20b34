"""What the thirty-third round's reviews found in its own changes, each case as the
reviewer wrote it (these run without PyTorch: the round's other files need it).

- names: a user's Module subclass keeps Python's inheritance of `__init__` (a dataclass's
  own, a later patch of the base); a dtype given as an array, `fork_rng` given an
  iterator of devices, `make_tensor`'s unsigned bounds, `biject_to`'s signature;
- diagrams: a `scope` object entered again (later, inside itself, as a module's attribute
  in each forward, from two threads) draws each op in the frame of the entry it ran in,
  and leaves nothing tagged after its last exit; a `tg.masked` function's mask given as a
  Python list named in its where, as an array's is;
- the fuzzed diagrams' reader (test_fuzz_diagrams_round32.py) checks a folded box's
  `.grad` in the forward view and the shape an `empty (r, c)` says: a wrong one of each
  planted is caught;
- docs: tutorial 1's tooltip sentence says what a node's and an edge's tooltip list;
- CLI: `graph -o locked/g.dot`, a folder that may not be searched, one line, no traceback;
- the third review: `make_tensor` whose range ends at the dtype's lowest value refused in
  our words (NumPy's "high <= 0" before), `fork_rng(devices=[0], enabled=False)` runs the
  block as PyTorch's.
"""
from __future__ import annotations

import dataclasses
import inspect
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli
from tinygrad_gd.scope import scope

import test_fuzz_diagrams_round32 as fuzz


def test_a_users_subclass_keeps_pythons_inheritance_of_the_constructor():
    """Only the built-in layers get a constructor of their own: a user's subclass inherits,
    so a dataclass's own __init__ is made and a later patch of the base reaches it."""
    class Wide(tg.nn.Linear):
        pass
    with pytest.raises(TypeError) as info:
        Wide()
    assert str(info.value).startswith("Linear.__init__() missing 2 required"), info.value
    assert Wide(3, 2).weight.shape == (2, 3) and "__init__" not in vars(Wide)

    class Block(tg.nn.Module):
        def __init__(self, n=3):
            super().__init__()
            self.n = n

    @dataclasses.dataclass(eq=False)
    class Head(Block):
        width: int = 4

        def __post_init__(self):
            Block.__init__(self)
            self.proj = tg.nn.Linear(self.width, 2)

    assert [p.shape for p in Head(width=8).parameters()] == [(2, 8), (2,)]

    class Child(Block):
        pass
    original = Block.__init__

    def patched(self, n=5):
        original(self, n)
    Block.__init__ = patched
    assert Child().n == 5


def test_the_reviews_cases_of_the_new_names():
    """A dtype that is an array, an iterator of devices, an unsigned dtype's bounds, and
    biject_to's signature."""
    with pytest.raises(TypeError, match=r"^zeros: unknown dtype array\(\[1, 2\]\)"):
        tg.zeros(2, dtype=np.array([1, 2]))
    with pytest.raises(RuntimeError, match=r"devices=\[0\] asks"):
        with tg.random.fork_rng(devices=iter([0])):
            pass
    with pytest.raises(ValueError, match=r"\[-9, -3\) lie outside \[0, 256\)"):
        tg.testing.make_tensor(3, dtype=tg.uint8, device="cpu", high=-3)  # (PyTorch's -9)
    drawn = tg.testing.make_tensor(1000, dtype=tg.uint8, device="cpu")  # -9 clamped to 0
    assert drawn.dtype == np.uint8 and drawn.numpy().min() == 0 and drawn.numpy().max() == 9
    assert str(inspect.signature(tg.distributions.biject_to)) == "(constraint)"
    assert str(inspect.signature(tg.distributions.transform_to.register)) == \
        "(constraint, factory=None)"


# ------------------------------------------------------------------ diagrams: frames


class Outer:
    """A user's own owner of a scope block (no nn.Module)."""


class Inner:
    """Another."""


def _frames(source: str) -> list:
    """The frames of a diagram's DOT text, each as (the ops drawn directly in it, sorted,
    its frames), sorted: which call each op is drawn in, whatever the frames' layout."""
    stack: list = [([], [])]
    for line in source.splitlines():
        line = line.strip()
        if re.match(r"subgraph cluster_\w+ \{", line):
            stack.append(([], []))
        elif line == "}" and len(stack) > 1:
            ops, inside = stack.pop()
            stack[-1][1].append((sorted(ops), sorted(inside)))
        elif op := re.match(r"f\d+ \[label=<<B>(.*?)</B>", line):
            stack[-1][0].append(op[1])
    return sorted(stack[0][1])


def _drawn(loss) -> list:
    loss.backward()
    return _frames(tg.draw_graph(loss, mode="backward", open_modules=True).source)


def test_a_scope_entered_again_draws_each_op_in_the_frame_of_its_own_entry():
    """The review's s1: an outer and an inner block each entered twice, the second time
    the outer's after the first inner's ended; the first inner call was drawn inside the
    second outer frame, the first outer frame holding only its `× 2`."""
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    outer, inner = scope(Outer()), scope(Inner())
    with outer:
        a = x * 2
        with inner:
            b = a.tanh()
    with outer:
        c = b * 3
        with inner:
            d = c.sin()
    assert _drawn(d.sum()) == [(["× 2"], [(["tanh"], [])]), (["× 3"], [(["sin"], [])])]
    np.testing.assert_allclose(x.grad.numpy(), np.cos(3 * np.tanh(2 * x.numpy())) * 3
                               * (1 - np.tanh(2 * x.numpy()) ** 2) * 2)


def test_a_scope_entered_inside_itself_is_two_calls_and_leaves_nothing_tagged():
    """The review's s2: `with b: with b:` left the block's call running for good, every
    later op drawn in it."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    block = scope(Outer())
    with block:
        with block:
            y = x * 2
        z = y.exp()
    assert _drawn(z.sum()) == [(["exp"], [(["× 2"], [])])]
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    assert _drawn((w * 3).sum()) == []


def test_a_modules_scope_attribute_entered_in_each_forward_is_one_frame_a_call():
    """The review's s3: a Net keeping `scope(Step())` entered in its forward, called
    twice: its first call was drawn as two frames, the second's lin call in one, Step's in
    the other."""
    class Net(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.block = tg.nn.Linear(3, 3), scope(Inner())

        def forward(self, x):
            h = self.lin(x)
            with self.block:
                h = h.tanh()
            return h * 2

    net = Net()
    call = (["× 2"], [(["linear"], []), (["tanh"], [])])
    assert _drawn(net(net(tg.tensor(np.ones((2, 3))))).sum()) == [call, call]


def test_two_threads_entering_one_scope_object_each_draw_their_own_calls():
    """Each thread's ops in its own calls' frames, the block's exit in one thread never
    handing the other thread's calls to it (the block kept one `_previous` for both)."""
    block, both_inside = scope(Inner()), threading.Barrier(2, timeout=30)
    drawn: dict = {}

    def run(name: str, op: str) -> None:
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        with scope(Outer()):
            with block:
                both_inside.wait()
                y = x * 2 if op == "× 2" else x * 3
            z = y.sin()
        drawn[name] = _drawn(z.sum())

    threads = [threading.Thread(target=run, args=(name, op))
               for name, op in (("first", "× 2"), ("second", "× 3"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert drawn == {"first": [(["sin"], [(["× 2"], [])])],
                     "second": [(["sin"], [(["× 3"], [])])]}


def _texts(loss) -> str:
    """The backward view's labels as their text, tags dropped."""
    labels = re.findall(r"label=<(.*?)> ", tg.draw_graph(loss, mode="backward").source)
    return " ".join(" ".join(re.sub(r"<[^>]*>", " ", label).split()) for label in labels)


@pytest.mark.parametrize("as_given", [np.asarray, np.ndarray.tolist,
                                      lambda a: tuple(map(tuple, a.tolist()))],
                         ids=["array", "list", "tuple"])
def test_a_mask_given_as_a_list_is_named_in_its_where_as_an_arrays_is(as_given):
    """The review's m1: `mask=kept.tolist()` drew no `where mask` (the call keeps a
    list given by its entries' ids, and the mask was looked for by the list's own)."""
    values = np.arange(6.0).reshape(2, 3) + 1
    kept = np.array([[True, False, True], [True, True, False]])
    x = tg.tensor(values, requires_grad=True)
    loss = tg.masked.sum(x, mask=as_given(kept))
    loss.backward()
    assert loss.item() == values[kept].sum()
    np.testing.assert_array_equal(x.grad.numpy(), kept.astype(float))
    assert "∂/∂parameter = 1 where mask, else 0" in _texts(loss)


# ------------------------------------------------------------------ the fuzzed diagrams' reader


def test_planted_wrong_gradient_of_a_boxs_result_in_the_forward_view_is_caught(monkeypatch):
    """A folded box's `.grad` line (the forward view's) read and compared with what its
    result holds: the reader looked for `grad` only, and let any number pass there."""
    from tinygrad_gd.graph import boxes, makings
    lines = makings.result_lines

    def wrong(drawing, box):  # the forward view's box gradient, doubled and shifted
        if drawing.options.mode != "forward":
            return lines(drawing, box)
        grad = drawing.grad
        drawing.grad = lambda i: None if grad(i) is None else np.asarray(grad(i)) * 2 + 1
        try:
            return lines(drawing, box)
        finally:
            del drawing.grad

    monkeypatch.setattr(makings, "result_lines", wrong)
    monkeypatch.setattr(boxes, "result_lines", wrong)  # (where a box's text is written)
    assert fuzz._caught(range(10**6, 10**6 + 40)) is not None


def test_planted_empty_matrix_said_with_another_shape_is_caught(monkeypatch):
    """`empty (r, c)` read with its shape: the reader took it for any empty array."""
    from tinygrad_gd.graph import text
    array = text._array
    assert fuzz.shows(fuzz.parse_value("empty (7, 0)", []), np.zeros((0, 3)), 4)
    assert fuzz.shows(fuzz.parse_value("empty (0, 3)", []), np.zeros((0, 3)), 4) is None
    assert fuzz.shows(fuzz.parse_value("[]", []), np.zeros((0, 3)), 4) is None

    def wrong(a, precision):  # every matrix with no entries said as another shape
        a = np.asarray(a)
        return "empty (9, 0, 9)" if a.size == 0 and a.ndim > 1 else array(a, precision)

    monkeypatch.setattr(text, "_array", wrong)
    assert fuzz._caught(range(10**6, 10**6 + 40)) is not None


# ------------------------------------------------------------------ docs


def _tooltips(loss) -> dict[str, str]:
    """Each node's and edge's tooltip in the backward view's DOT text, by its first line."""
    tips = re.findall(r'tooltip="((?:[^"\\]|\\.)*)"', tg.draw_graph(loss, mode="backward").source)
    return {tip.split("\\n")[0]: tip for tip in tips}


def test_tutorial_1_says_which_tooltips_list_values_in_full_and_up_to_how_many():
    """The page said a node's or an edge's tooltip lists its values in full: an edge's
    never does, nor a node's of more entries than the number the page now gives."""
    page = Path(__file__).parents[1] / "docs" / "tutorial" / "1-one-weight.md"
    prose = " ".join(page.read_text().split())
    claim = re.search(r"a node's tooltip lists in full the values it shows only a few of, "
                      r"up to (\d+)\)", prose)
    assert claim and "lists its values in full" not in prose
    most = int(claim[1])
    for n in (most, most + 1):
        w = tg.Tensor(np.arange(float(n)), requires_grad=True, name="w")
        loss = (w * w).sum()
        loss.backward()
        tips = _tooltips(loss)
        [node] = [tip for first, tip in tips.items() if first.startswith(f"w ({n},)")]
        assert ("data in full: [0, 1, 2, 3" in node) == (n == most), node
        [edge] = [tip for first, tip in tips.items() if first.startswith("gradient from")
                  and first.endswith("to w:")]
        assert "…" in edge and "in full" not in edge, edge


# ------------------------------------------------------------------ the command line


def test_graph_o_in_a_folder_that_may_not_be_searched_is_a_usage_error(tmp_path, capsys,
                                                                        monkeypatch):
    """As a user other than root, `graph -o locked/g.dot` with `locked` at mode 000 ended
    in a PermissionError traceback from `is_dir` (root may search any folder: the path's
    `is_dir` raises here as it does for such a user)."""
    target = tmp_path / "locked" / "g.dot"
    is_dir = Path.is_dir

    def locked(path):
        if path.parent == target.parent:
            raise PermissionError(13, "Permission denied", str(path))
        return is_dir(path)

    monkeypatch.setattr(Path, "is_dir", locked)
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("tinygrad-gd graph: error: cannot look at ") and str(target) in err
    assert "(Permission denied); choose another -o path" in err, err
    assert not target.parent.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root may search a folder at mode 000 (the test above stands in)")
def test_graph_o_in_a_folder_at_mode_000_is_a_usage_error(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    try:
        assert cli.main(["graph", "slope", "--format", "dot", "-o",
                         str(locked / "g.dot")]) == 2
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(Permission denied); choose another -o path" in err, err
    assert list(locked.iterdir()) == []


# ------------------------------------------------------------------ the third review


@pytest.mark.parametrize("dtype, low, high, said", [
    (np.uint8, None, 0, "[-9, 0) lie outside [0, 256)"),
    (np.int8, -300, -128, "[-300, -128) lie outside [-128, 128)"),
])
def test_make_tensor_of_a_range_ending_at_the_dtypes_lowest_is_refused_in_our_words(
        dtype, low, high, said):
    with pytest.raises(ValueError, match=r"^make_tensor: the values \[low, high\) = ") as info:
        tg.testing.make_tensor(3, dtype=dtype, device="cpu", low=low, high=high)
    assert said in str(info.value), info.value


def test_fork_rng_not_enabled_runs_the_block_whatever_devices_says():
    tg.manual_seed(3)
    with tg.random.fork_rng(devices=[0], enabled=False):
        inside = tg.rand(2).numpy()
    tg.manual_seed(3)
    assert (tg.rand(2).numpy() == inside).all()  # (not forked: the draws were the real ones)
