"""Showing a link to the person at the keyboard: the browser, or a notebook link.

The rule for "can a browser be reached" is the TypeScript SDK's (``canOpenBrowser``): no for SSH
sessions, CI and Linux/BSD without a display; an explicit ``BROWSER`` setting always counts as yes.
"""

from __future__ import annotations

import html
import os
import sys
import threading
import webbrowser
from collections.abc import Mapping

__all__ = ["can_open_browser", "in_notebook", "open_in_browser", "show_in_notebook"]

LAUNCH_GRACE_SECONDS = 1.0
"""A launcher that fails does so quickly; one still running after this is taken as opened."""


def can_open_browser(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a browser on this machine can show a page to the person at the keyboard.

    ``env`` defaults to ``os.environ`` and ``platform`` to ``sys.platform``.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("BROWSER"):
        return True
    ci = env.get("CI")
    if ci and ci not in ("false", "0"):
        return False
    if env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or env.get("SSH_TTY"):
        return False
    if platform.startswith(("linux", "freebsd", "openbsd")):
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def open_in_browser(url: str) -> bool:
    """Opens ``url`` with ``webbrowser``; False when the launcher failed or found no browser.

    ``webbrowser`` waits for some launchers (a ``BROWSER`` command, console browsers) to exit,
    so it runs in a daemon thread: a launcher still running after a short grace is taken as
    opened, as the TypeScript SDK does.
    """
    outcome: list[bool] = []

    def launch() -> None:
        try:
            outcome.append(bool(webbrowser.open(url, new=2)))
        except Exception:  # noqa: BLE001 - any launcher failure means "not opened"
            outcome.append(False)

    thread = threading.Thread(target=launch, name="grantvault-browser", daemon=True)
    thread.start()
    thread.join(LAUNCH_GRACE_SECONDS)
    return outcome[0] if outcome else True


def in_notebook() -> bool:
    """Whether this runs in a Jupyter (IPython) kernel."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - a broken IPython is "no notebook"
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_in_notebook(url: str, confirmation_code: str, lead: str = "To connect an account") -> bool:
    """In a Jupyter kernel, displays the link as a clickable HTML link; True when shown.

    ``lead`` starts the sentence (``To connect an account``, ``To sign in``).
    """
    if not in_notebook():
        return False
    try:
        from IPython.display import HTML, display  # type: ignore[import-not-found]
    except ImportError:
        return False
    link = html.escape(url, quote=True)
    code = html.escape(confirmation_code)
    display(
        HTML(
            "<p>"
            + html.escape(lead)
            + ', open <a href="'
            + link
            + '" target="_blank" rel="noopener noreferrer">'
            + link
            + "</a><br>Confirmation code: <code>"
            + code
            + "</code> (the page shows the same code)</p>"
        )
    )
    return True
