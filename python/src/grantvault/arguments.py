"""Handing a public method's arguments on, by name, without listing them again."""

from __future__ import annotations

from typing import Any


def passed_arguments(frame_locals: dict[str, Any]) -> dict[str, Any]:
    """A method's arguments by name: ``locals()`` taken at its first line, less ``self``.

    ``Vault`` and ``AsyncVault`` spell out each public method's typed signature (for IDEs,
    ``help()`` and type checkers); this hands those arguments to the one function that checks
    them, so adding an argument does not mean copying a list of ``name=name`` lines.
    """
    return {name: value for name, value in frame_locals.items() if name != "self"}
