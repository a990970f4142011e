"""The package version (kept equal to ``version`` in ``pyproject.toml``; a test checks it)."""

__version__ = "0.1.0"
