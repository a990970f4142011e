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
from collections.abc import Callable, Mapping

__all__ = [
    "OpenUrl",
    "can_open_browser",
    "in_notebook",
    "open_in_browser",
    "open_link",
    "say",
    "say_open_url_failed",
    "show_in_notebook",
    "waiting_line",
]

OpenUrl = Callable[[str], object]
"""Your own way to show the link (a chat message, a notebook widget); replaces the browser."""

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


def say(text: str) -> None:
    """Prints to standard error (where the SDK talks to the person, never standard output)."""
    stream = sys.stderr
    if stream is None:
        return
    stream.write(text)
    stream.flush()


def open_link(url: str, open_browser: bool, open_url: OpenUrl | None) -> bool:
    """Hands the link to ``open_url``, or opens the browser when one can be reached.

    Returns whether something was opened.
    """
    if open_url is not None:
        try:
            open_url(url)
            return True
        except Exception as error:  # noqa: BLE001 - the link is printed; the user can open it
            say_open_url_failed(error)
            return False
    if not open_browser or not can_open_browser():
        return False
    opened = open_in_browser(url)
    if not opened:
        say("Could not open a browser here; open the link above yourself.\n")
    return opened


def say_open_url_failed(error: Exception) -> None:
    """Tells the person that ``open_url`` failed; the link is printed already, so they can open
    it themselves."""
    say(f"Could not open the link ({type(error).__name__}); open it yourself.\n")


def waiting_line(opened: bool) -> str:
    """The line printed while waiting."""
    where = "in the browser that just opened" if opened else "once the link is opened"
    stop = "interrupt the kernel to stop" if in_notebook() else "Ctrl-C to stop"
    return f"Waiting for you to finish {where}... ({stop})\n"
