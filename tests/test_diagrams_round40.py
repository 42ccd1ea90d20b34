"""What a diagram's reader read wrongly or not at all (fortieth round), read from the
rendered SVG.

- A fold's or module box's `holds add result #1-#7, ...` line grew with interleaved chains
  (148 characters, a box 837 points wide where the widest other node is 324): it is cut
  as other box lines are, `#1-#8, #10-#11 and 34 more`, the results left counted, so that
  no box grows wider than the widest node without such a line.

Numbers are checked against a hand derivation written here.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET


import tinygrad_gd as tg

from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"


def _node_boxes(svg: str) -> list[tuple[list[str], float]]:
    """Each node's lines of text and its width in points (from its outline's corners)."""
    found = []
    for g in ET.fromstring(svg).iter(_SVG + "g"):
        if (g.get("class") or "").split()[:1] != ["node"]:
            continue
        xs = [float(x) for shape in g.iter() if shape.tag in (_SVG + "polygon", _SVG + "path")
              for x in re.findall(r"(-?[\d.]+),-?[\d.]+", shape.get("points") or
                                  shape.get("d") or "")]
        found.append(([(t.text or "").strip() for t in g.iter(_SVG + "text")],
                      max(xs) - min(xs) if xs else 0.0))
    return found


# ---------------------------------------------------------------------------------------
# 1. A box's `holds` line cut as the other lines of a box are


def _interleaved(links: int = 30):
    """s = a + a + ..., t = b + b + ..., one add of each a link, s * t summed every third
    link: the adds of the two chains numbered alternately, some drawn, most folded."""
    tg.manual_seed(0)
    a = tg.Tensor(tg.randn(10).numpy(), requires_grad=True, name="a")
    b = tg.Tensor(tg.randn(10).numpy(), requires_grad=True, name="b")
    s, t, products = a, b, []
    for k in range(links):
        s, t = s + a, t + b
        if k % 3 == 0:
            products.append(s * t)
    loss = products[0].sum()
    for p in products[1:]:
        loss = loss + p.sum()
    return loss, 2 * links  # (the adds of the chains; the loss's own adds come after)


def _count(listed: str) -> int:
    """How many results `#1-#8, #10, #12-#13 and 34 more` names: runs by hand, plus the rest."""
    runs, _, more = listed.partition(" and ")
    total = int(more.split()[0]) if more else 0
    for run in runs.split(", "):
        first, _, last = run.partition("-")
        total += int((last or first)[1:]) - int(first[1:]) + 1
    return total


def test_a_holds_line_is_cut_and_no_box_grows_wider_for_it():
    loss, adds = _interleaved()
    svg = tg.draw_graph(loss, mode="backward", max_nodes=30).pipe(format="svg").decode()
    nodes = _node_boxes(svg)
    holding = [(lines, width) for lines, width in nodes
               if any(line.startswith("holds ") for line in lines)]
    others = [width for lines, width in nodes
              if not any(line.startswith("holds ") for line in lines)]
    assert holding, nodes
    lines = [line for texts, _ in holding for line in texts if line.startswith("holds add ")]
    assert any(line.endswith(" more") for line in lines), lines  # (one is cut)
    for texts, width in holding:
        assert width <= max(others), (texts, width, max(others))
    # every add result not drawn is counted once among the boxes' lines: as many as the
    # drawing of every node shows, less those drawn here
    everything = tg.draw_graph(loss, mode="backward", max_nodes=None).pipe(format="svg")
    total = _add_results(_node_boxes(everything.decode()))
    assert total >= adds, total  # (the chains' adds at least)
    listed = sum(_count(line.removeprefix("holds add result ")) for line in lines)
    assert listed == total - _add_results(nodes), (lines, total)


def _add_results(nodes: list[tuple[list[str], float]]) -> int:
    return sum(bool(re.fullmatch(r"add result #\d+", texts[0])) for texts, _ in nodes)
