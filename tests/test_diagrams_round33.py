"""What a learner misread in diagrams, the thirty-third round's loose ends, read from the
DOT text, the rendered SVG and the files written.

- An array whose entries are all equal said `all -0.004207`, not that it was a matrix nor
  its shape: it says `all v (3, 2)`, as a node's title writes a shape; a matrix with no
  entries read `[]`, a vector's text: `empty (0, 3)`.
- A folded box's result line said `grad` for the `.grad` the forward view shows.
- A `tg.masked` function's mask was drawn nowhere: the `where` leaving its entries out
  reads `1 where mask, else 0`.
- A `scope` entered twice was drawn as one call around both entries.
- `graph -o` refused a missing folder that `render_graph` makes.
- The step-by-step page repeated each text's font in every frame.

Numbers are checked against NumPy formulas, never against the drawing code.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, nn
from tinygrad_gd.scope import scope

from test_graph_labels import needs_dot

_SVG = "{http://www.w3.org/2000/svg}"


def _texts(source: str) -> list[str]:
    """Each node's and edge's label in the DOT text, tags dropped, one line per <BR/>,
    table cells joined by spaces."""
    found = []
    for label in re.findall(r"label=<(.*?)> ", source):
        text = re.sub(r"</TR>|<BR/>", "\n", label)
        text = re.sub(r"<[^>]*>", " ", text).replace("&#160;", " ")
        found += [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    return found


def _svg_texts(path) -> list[str]:
    return [t.text or "" for t in ET.parse(path).getroot().iter(f"{_SVG}text")]


@needs_dot
def test_equal_entries_say_their_shape_a_vector_a_matrix_and_none_for_a_number(tmp_path):
    w = tg.tensor(np.ones((3, 2)), requires_grad=True)
    v = tg.tensor(np.ones(4), requires_grad=True)
    s = tg.tensor(2.0, requires_grad=True)
    loss = (w * s).mean() + (v * s).mean()
    loss.backward()
    texts = _texts(tg.draw_graph(loss, mode="backward").source)
    # d loss / d (w * s): 1/6 each, a (3, 2) matrix; d loss / d (v * s): 1/4 each
    assert f"1 / 6 copied to each entry = all {1 / 6:.4g} (3, 2)" in texts, texts
    assert f"1 / 4 copied to each entry = all {1 / 4:.4g} (4,)" in texts, texts
    # s's gradient, one number: no shape; its value is sum(w)/6 + sum(v)/4
    assert f"grad {np.ones((3, 2)).sum() / 6 + np.ones(4).sum() / 4:.4g}" in texts, texts
    svg = tg.render_graph(loss, tmp_path / "g.svg", mode="backward")
    shown = " ".join(_svg_texts(svg))
    assert f"all {1 / 6:.4g} (3, 2)" in shown and f"all {1 / 4:.4g} (4,)" in shown


def test_a_transposed_matrix_of_equal_entries_says_which_matrix():
    # nn.Linear's weight edge: `all 0.08333 (4, 3)ᵀ @ input`, was `all 0.08333ᵀ @`
    layer = nn.Linear(2, 3)
    x = tg.tensor(np.arange(8.0).reshape(4, 2))
    loss = layer(x).mean()
    loss.backward()
    source = tg.draw_graph(loss, mode="backward", model=layer).source
    assert re.search(rf"all {1 / 12:.4g} \(4, 3\)</TD><TD><FONT[^>]*><B>ᵀ</B>", source)
    np.testing.assert_allclose(layer.weight.grad.numpy(),
                               np.full((4, 3), 1 / 12).T @ x.numpy())


def test_a_matrix_with_no_entries_reads_empty_with_its_shape():
    for shape, said in [((0, 3), "empty (0, 3)"), ((2, 0), "empty (2, 0)"), ((0,), "[]")]:
        x = tg.tensor(np.zeros(shape), requires_grad=True)
        loss = (x * 2).sum()
        loss.backward()
        texts = _texts(tg.draw_graph(loss, mode="forward").source)
        assert f"data {said}" in texts, (shape, texts)


def _box_result_lines(source: str) -> list[str]:
    return [t for t in _texts(source) if t.startswith((".grad", "grad"))]


def test_a_folded_boxs_result_says_grad_as_a_tensor_node_does():
    tg.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(3, 3), nn.Tanh())],
                          nn.Linear(3, 1))
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    h = model[:4](x)
    h.retain_grad()
    loss = model[4:](h).sum()
    loss.backward()
    forward = tg.draw_graph(loss, mode="forward", model=model).source
    backward = tg.draw_graph(loss, mode="backward", model=model).source
    # the forward view shows the attribute: the one retained result's, named `.grad`
    shown = _box_result_lines(forward)
    assert shown and all(t.startswith(".grad ") for t in shown), shown
    assert f".grad {h.grad.numpy()[0, 0]:.4g}" in " ".join(shown)
    # no box claims a .grad its result does not hold: the other results hold none
    assert len([t for t in shown if "result" not in t]) == len(shown) == 1
    # the backward view: this pass's gradient, `grad`, on every box
    assert len(_box_result_lines(backward)) > 1
    assert all(t.startswith("grad ") for t in _box_result_lines(backward))


@needs_dot
def test_a_masked_functions_mask_is_named_in_its_where(tmp_path):
    values = np.arange(6.0).reshape(2, 3)
    kept = np.array([[True, False, True], [True, True, False]])
    x = tg.tensor(values, requires_grad=True)
    loss = tg.masked.sum(x, mask=kept)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), kept.astype(float))
    assert loss.item() == values[kept].sum()
    source = tg.draw_graph(loss, mode="backward").source
    assert "∂/∂parameter = 1 where mask, else 0" in _texts(source)
    svg = tg.render_graph(loss, tmp_path / "m.svg", mode="backward")
    assert any("1 where mask, else 0" in t for t in _svg_texts(svg))
    # logaddexp's two masks by their own names
    y = tg.tensor(values * 0.5, requires_grad=True)
    out = tg.masked.logaddexp(x, y, input_mask=kept, other_mask=~kept).sum()
    texts = " ".join(_texts(tg.draw_graph(out, mode="backward").source))
    assert "1 where input_mask, else 0" in texts and "1 where other_mask, else 0" in texts


def test_a_masks_name_changes_no_value_and_the_users_mask_stays_theirs():
    values = np.arange(6.0).reshape(2, 3)
    kept = np.array([[True, False, True], [True, True, False]])
    mask = tg.tensor(kept)
    x = tg.tensor(values, requires_grad=True)
    loss = tg.masked.mean(x, mask=mask)
    mask[0, 0] = False  # the user's mask changed in place after the call: no version error
    loss.backward()
    np.testing.assert_allclose(loss.item(), values[kept].mean())
    np.testing.assert_allclose(x.grad.numpy(), kept / kept.sum())  # the mask as it was
    # a where the user wrote has no argument to name: no formula invented
    plain = tg.where(tg.tensor(kept), x, 0.0).sum()
    assert not any("where mask" in t for t in _texts(tg.draw_graph(plain, mode="backward")
                                                      .source))


class Step:
    """A user's own owner for a scope block (no nn.Module)."""


def _frames(source: str) -> int:
    return len(re.findall(r"subgraph cluster_\d+ \{", source))


def test_a_scope_entered_twice_is_drawn_as_two_calls():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    block = scope(Step())
    with block:
        h = (x * 2).tanh()
    with block:
        y = (h * 3).sin()
    loss = y.sum()
    loss.backward()
    np.testing.assert_allclose(
        x.grad.numpy(),
        np.cos(3 * np.tanh(2 * x.numpy())) * 3 * (1 - np.tanh(2 * x.numpy()) ** 2) * 2)
    source = tg.draw_graph(loss, mode="backward", open_modules=True).source
    assert _frames(source) == 2, source
    texts = _texts(source)
    assert any(t.startswith("Step result #1") for t in texts)
    assert any(t.startswith("Step result #2") for t in texts)
    # one entry is one call, as before
    with scope(Step()):
        z = (x * 2).tanh().sin().sum()
    assert _frames(tg.draw_graph(z, mode="backward", open_modules=True).source) == 1


def test_a_module_called_twice_is_still_two_calls_and_one_call_one_frame():
    layer = nn.Linear(3, 3)
    x = tg.tensor(np.ones((2, 3)))
    loss = layer(layer(x)).sum()
    loss.backward()
    source = tg.draw_graph(loss, mode="backward", open_modules=True, model=layer).source
    assert _frames(source) == 2


def test_graph_o_and_render_graph_make_a_missing_folder_alike(tmp_path, capsys):
    target = tmp_path / "cli" / "deeper" / "slope.dot"
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(target)]) == 0
    assert target.read_text().startswith("digraph")
    assert f"written to {target}" in capsys.readouterr().out
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    drawn = tg.render_graph(loss, tmp_path / "api" / "deeper" / "loss.dot")
    assert drawn.read_text().startswith("digraph")


def test_graph_o_and_render_graph_refuse_a_file_in_a_folders_place_alike(tmp_path, capsys):
    (tmp_path / "taken").write_text("a user's file")
    assert cli.main(["graph", "slope", "--format", "dot",
                     "-o", str(tmp_path / "taken" / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "'taken' is a file, not a folder" in \
        err.replace(str(tmp_path) + "/", ""), err
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        tg.render_graph((x * x).sum(), tmp_path / "taken" / "g.dot")
    assert (tmp_path / "taken").read_text() == "a user's file"


def test_graph_o_where_the_folder_cannot_be_made_says_so_and_makes_nothing(tmp_path,
                                                                          monkeypatch, capsys):
    from tinygrad_gd import cli_arguments

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli_arguments.tempfile, "TemporaryFile", refuse)
    target = tmp_path / "new" / "g.dot"
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"the folder '{target.parent}' cannot be made in '{tmp_path}'" in err, err
    assert "Permission denied" in err and not (tmp_path / "new").exists()


@needs_dot
def test_the_step_pages_texts_keep_their_font_said_once():
    x = tg.tensor([1.0, 2.0, 3.0])
    w = tg.tensor([0.5, -0.2, 0.1], requires_grad=True)
    loss = ((x * w).sum() - 1.0) ** 2
    steps = tg.backward_steps(loss)
    page = steps.html
    frames = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(frames) == len(steps) > 2
    for frame in frames:
        texts = ET.fromstring(frame).iter(f"{_SVG}text")
        # every text drawn in the font Graphviz laid it out for, from the page's style
        assert all(t.get("font-family") is None for t in texts)
        assert "<!--" not in frame
    page_id = re.search(r'<div id="([^"]+)" class="backward-steps"', page)[1]
    assert f"#{page_id} svg text:not([font-family]){{font-family:Helvetica,sans-Serif}}" \
        in page
    # a frame on its own (a notebook's picture) keeps its own font
    still = steps._repr_mimebundle_()["image/svg+xml"]
    assert all(t.get("font-family") == "Helvetica,sans-Serif"
               for t in ET.fromstring(still[still.find("<svg"):]).iter(f"{_SVG}text"))
