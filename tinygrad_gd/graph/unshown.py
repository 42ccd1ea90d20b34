"""Why a drawing shows no factor for an op, in the words of its note and its node.

- `changed_inputs`: an input, or the output the op saved, changed in place since the op
  ran (`versions.py`); `changed_positions`, those inputs; `together`, the reasons said in
  one sentence where many ops share one (every weight, after an update).
- `misdeclared`: a user's op declared `elementwise=True` whose shapes say it is not one.
- `reruns_a_function`: a checkpoint (`utils/checkpoint.py`), whose backward runs a function
  of the user's again: a drawing calls none, so the gradients stop there, the ones above
  it drawn (`rerun_words` on its node, `rerun_title` in a step's caption), none below.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..tensor import Tensor
from ..versions import output_written, written_since

__all__ = ["changed_inputs", "changed_positions", "misdeclared", "reruns_a_function",
           "rerun_title", "rerun_words", "together", "RERUN"]


def misdeclared(tensor: Tensor) -> str | None:
    """Why an op declared elementwise=True is not one: an input does not broadcast to its result."""
    ctx, out = tensor._ctx, tensor.shape
    if ctx is None or tensor.size == 1 or not type(ctx).elementwise or all(
            q.ndim <= len(out) and all(a in (1, b) for a, b in zip(q.shape[::-1], out[::-1]))
            for q in ctx.parents):
        return None
    return (f"op '{ctx.name}' is declared elementwise=True, but its result {out} does not fit its "
            f"input shapes {', '.join(str(q.shape) for q in ctx.parents)}: remove elementwise=True")


def changed_inputs(graph: Any, i: int) -> str | None:
    """Why op i's factors would be wrong now: an input, or the output it saved, changed in
    place since it ran (the changes `versions.py` refuses a backward for)."""
    node = graph.tensors[i]._ctx
    if output_written(node):
        return (f"the output of op '{node.name}' was changed in place after the op ran; run "
                f"the forward pass again to draw it")
    for position in written_since(node)[:1]:
        parent = node.parents[position]
        name = f"'{parent.name}'" if parent.name else f"an input of shape {parent.shape}"
        return f"{name} of op '{node.name}'{_CHANGED}"
    return None


_CHANGED = (" was changed in place after the op ran (an update after backward()?); run the "
            "forward pass again to draw it")


def together(whys: list[str]) -> list[str]:
    """The reasons, those of inputs changed in place (every weight, after an update) said
    in one sentence, alike ones counted: one each repeated the same words (ten times for
    a LeNet)."""
    counts = Counter(why[:-len(_CHANGED)] for why in whys if why.endswith(_CHANGED))
    others = sorted({why for why in whys if not why.endswith(_CHANGED)})
    if sum(counts.values()) < 2:
        return others + [what + _CHANGED for what in counts]
    changed = [what + (f" ({n} of them)" if n > 1 else "") for what, n in counts.items()]
    named = (", ".join(changed[:-1]) + " and " + changed[-1] if 1 < len(changed) <= 3
             else changed[0] if len(changed) == 1
             else ", ".join(changed[:3]) + f" and {len(changed) - 3} more")
    return others + [f"{named} were changed in place after their ops ran (an update after "
                     f"backward()?); run the forward pass again to draw them"]


def changed_positions(graph: Any, i: int) -> list[int]:
    return [graph.parents[i][k] for k in written_since(graph.tensors[i]._ctx)]


# the note's words (one sentence however many checkpoints), true before backward() too
RERUN = ("the gradients below a checkpoint come from running its function again in "
         "backward(), which a drawing does not do")


def reruns_a_function(graph: Any) -> dict[int, str]:
    """The ops whose backward runs a function of the user's again (a checkpoint's, which
    says so: `runs_function_again`), by position, each with the note's reason."""
    return {i: RERUN for i, t in enumerate(graph.tensors)
            if getattr(t._ctx, "runs_function_again", False)}


def below_a_rerun(graph: Any, stale: dict) -> dict[int, int]:
    """The tensors below an op whose backward runs a function again (`stale`'s `RERUN`), by
    position, each with that op's: what a drawing gives them is only what the ops drawn
    send; backward() adds more to theirs when it runs the function again."""
    below: dict[int, int] = {}
    for rerun in (i for i, why in stale.items() if why == RERUN):
        waiting = list(graph.parents[rerun])
        while waiting:
            p = waiting.pop()
            if p not in below:
                below[p] = rerun
                waiting.extend(graph.parents[p])
    return below


def rerun_title(node: Any) -> str:
    """The function a checkpoint's backward runs again, as its node names it (`f`,
    `Sequential`, `layers 0 to 1`: the checkpoint's `function_title`)."""
    return getattr(node, "function_title", None) or "its function"


def rerun_words(node: Any) -> list[str]:
    """What such an op's node says under its title in the backward view, in two lines: the
    function it runs again, and that the gradients below it are not drawn."""
    return [f"backward() runs {rerun_title(node)} again:", "gradients below not drawn"]
