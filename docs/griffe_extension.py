"""Griffe extension of the API reference: the functions tinygrad_gd.functional (and
in_place_functions: `tg.exp_`, ...) makes at import.

`tg.exp`, `tg.sum`, `tg.reshape`, ... are built by a loop in tinygrad_gd/functional.py
(each is `x.name(...)` for a Tensor x), which griffe's static analysis cannot see. This
extension adds them to the module as griffe's inspection finds them after importing it,
with their docstrings and signatures; every other member stays as the source reads.
mkdocs.yml loads it (`extensions:` of the mkdocstrings Python handler).
"""
from __future__ import annotations

from typing import Any

import griffe

DYNAMIC_MODULES = ("tinygrad_gd.functional", "tinygrad_gd.in_place_functions")


class DynamicFunctions(griffe.Extension):
    """Add the functions a module defines at run time that its source does not spell out."""

    def on_module(self, *, mod: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if mod.path not in DYNAMIC_MODULES:
            return
        inspected = griffe.inspect(mod.path, docstring_parser=loader.docstring_parser,
                                   docstring_options=loader.docstring_options)
        for name, member in inspected.members.items():
            if name not in mod.members and not name.startswith("_") and member.is_function:
                mod.set_member(name, member)
