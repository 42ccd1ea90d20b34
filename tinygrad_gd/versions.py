"""In-place changes: a graph refuses to backward when values it saved have changed since.

Every tensor has a version counter, `t._version`: a one-item list, shared by the tensor,
its views and `detach()`, to which every counted write adds one (`tracked.py` counts the
writes through `t.data`; `t[...] = v` and assigning `t.data` count too). When an op that
saved arrays for its backward is recorded, `VersionCheck` notes the versions of its
inputs (and of its output, when it saved that); before the op's backward runs, it
compares them and refuses with the tensor and the op named.

This extension is always on: it is the guarantee that a gradient is never computed
from values the forward pass never saw.
"""
from __future__ import annotations

from typing import Any

from .engine import Extension, Function, extensions
from .tracked import writes


class VersionCheck(Extension):
    """Notes the versions of what a node saved; refuses its backward when one moved."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        data = output._data
        if data.base is not None:  # a view (transpose, reshape, ...) shares its input's counter
            for t in inputs:
                if data.base is t._data or data.base is t._data.base:
                    output._version = t._version
                    break
        if node.parents and node.saved_tensors:
            node.writes = writes[0]
            node.input_versions = [t._version[0] for t in inputs]
            for array in node.saved_tensors:
                if array is data:  # backward reads the output too: count its changes
                    node.output_version = (output._version, output._version[0])

    def before_backward(self, node: Function) -> None:
        if not node.saved_tensors:
            return  # nothing saved: nothing an in-place change can spoil
        if node.writes == writes[0]:
            # Optimization (benchmarks/README.md, "version checks"): `writes` counts every
            # write to any tensor, so when it has not moved since the node was recorded, no
            # version can have moved either, and comparing them one by one is skipped.
            return
        output_version = getattr(node, "output_version", None)
        if output_version is not None and output_version[0][0] != output_version[1]:
            raise RuntimeError(
                f"backward(): the output of op '{node.name}' was changed in place after the "
                f"op saved it for backward (written through its .data, or its .data assigned), "
                f"so the gradient would be computed from values the forward pass never made. "
                f"Change a copy instead (y.data.copy(), or y.detach() * 1), or run the forward "
                f"pass again")
        if [t._version[0] for t in node.parents] == node.input_versions:
            return
        for position, (parent, version) in enumerate(zip(node.parents, node.input_versions)):
            if parent._version[0] != version:
                name = f"'{parent.name}' " if parent.name else ""
                raise RuntimeError(
                    f"backward(): input {position} {name}(shape {parent.shape}) of op "
                    f"'{node.name}' was changed in place after the op used it (written through "
                    f".data, e.g. `w.data -= lr * w.grad.data` or `t.data[0] = 1`, .data "
                    f"assigned, written with t[...] = ..., or an optimizer step), so the "
                    f"gradient would be computed from values the forward pass never saw. Update "
                    f"after backward() (optimizer.step() after loss.backward()), or run the "
                    f"forward pass again after the change")


extensions.append(VersionCheck())
