"""Parts that need no vault: the browser rule and the notebook link, redirects and responses, and
the package (version, standard library only; test/packaging checks the built wheel and sdist)."""

from __future__ import annotations

import ast
import http.server
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import types
import unittest
from pathlib import Path
from unittest import mock

import grantvault
from grantvault import (
    Response,
    can_open_browser,
)
from grantvault.browser import show_in_notebook
from grantvault.http import exchange

PYTHON_DIR = Path(__file__).resolve().parent.parent


class BrowserTest(unittest.TestCase):
    def test_the_typescript_sdks_rule(self) -> None:
        cases = [
            ({}, "linux", False),
            ({"DISPLAY": ":0"}, "linux", True),
            ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
            ({"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, "linux", False),
            ({"SSH_TTY": "/dev/pts/0"}, "darwin", False),
            ({"CI": "true"}, "darwin", False),
            ({"CI": "false"}, "darwin", True),
            ({}, "darwin", True),
            ({}, "win32", True),
            ({}, "freebsd14", False),
            ({"BROWSER": "firefox", "SSH_TTY": "/dev/pts/0", "CI": "1"}, "linux", True),
        ]
        for env, platform, expected in cases:
            with self.subTest(env=env, platform=platform):
                self.assertIs(can_open_browser(env, platform), expected)

    def run_opener(self, script: str) -> str:
        with tempfile.TemporaryDirectory() as directory:
            launcher = Path(directory) / "launcher"
            launcher.write_text(f"#!/bin/sh\n{script}\n")
            launcher.chmod(launcher.stat().st_mode | stat.S_IEXEC)
            code = "from grantvault.browser import open_in_browser as o; print(o('http://x.test/'))"
            env = {**os.environ, "BROWSER": str(launcher)}
            return subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=20
            ).stdout.strip()

    def test_a_launcher_that_fails_is_not_taken_as_opened(self) -> None:
        self.assertEqual(self.run_opener("exit 1"), "False")
        self.assertEqual(self.run_opener("exit 0"), "True")
        # Still running after the grace period: a browser window that stays open.
        self.assertEqual(self.run_opener("exec >/dev/null 2>&1; sleep 3"), "True")

    def test_notebooks_get_a_clickable_link(self) -> None:
        shown: list[str] = []
        ipython = types.ModuleType("IPython")

        def kernel() -> object:
            return types.SimpleNamespace(kernel=object())

        ipython.get_ipython = kernel  # type: ignore[attr-defined]
        display = types.ModuleType("IPython.display")
        display.HTML = lambda markup: markup  # type: ignore[attr-defined]
        display.display = shown.append  # type: ignore[attr-defined]
        self.assertFalse(show_in_notebook("http://v/connect/gvcs_x", "AB12-CD34"))
        with mock.patch.dict(sys.modules, {"IPython": ipython, "IPython.display": display}):
            self.assertTrue(show_in_notebook('http://v/connect/gvcs_x?a=1&b="', "AB12-CD34"))
            ipython.get_ipython = lambda: None  # type: ignore[attr-defined]
            self.assertFalse(show_in_notebook("http://v/", "AB12-CD34"))  # IPython, no kernel
            ipython.get_ipython = kernel  # type: ignore[attr-defined]
            self.assertTrue(show_in_notebook("http://v/connect/gvcs_y", "AB12-CD34", "To sign in"))
        self.assertEqual(len(shown), 2)
        self.assertTrue(shown[1].startswith("<p>To sign in, open <a href="))
        self.assertIn('href="http://v/connect/gvcs_x?a=1&amp;b=&quot;"', shown[0])
        self.assertIn('target="_blank"', shown[0])
        self.assertIn("AB12-CD34", shown[0])


class HttpTest(unittest.TestCase):
    def test_redirects_are_returned_not_followed(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(302 if self.path == "/start" else 200)
                self.send_header("location", "/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/start"
            raw = exchange("GET", url, {"authorization": "Bearer t"}, None, 5)
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual(
            (raw.status, raw.header("Location"), hits), (302, "/elsewhere", ["/start"])
        )

    def test_response(self) -> None:
        response = Response.from_parts(
            200,
            "OK",
            [("Content-Type", "text/plain; charset=latin-1"), ("X-A", "1"), ("x-a", "2")],
            "café".encode("latin-1"),
            "https://api.example/x",
        )
        self.assertEqual(response.text, "café")
        self.assertEqual(response.headers["x-a"], "1, 2")
        self.assertEqual(response.headers.get_all("X-A"), ["1", "2"])
        self.assertIn("CONTENT-TYPE", response.headers)
        self.assertEqual(repr(response), "<Response [200]>")
        self.assertEqual(Response.from_parts(200, "", {}, b'{"a": 1}', "u").json(), {"a": 1})


class PackageTest(unittest.TestCase):
    def test_version_matches_pyproject(self) -> None:
        pyproject = (PYTHON_DIR / "pyproject.toml").read_text()
        version = re.search(r'^version = "([^"]+)"$', pyproject, re.MULTILINE)
        self.assertIsNotNone(version)
        assert version is not None
        self.assertEqual(grantvault.__version__, version.group(1))

    def test_standard_library_only(self) -> None:
        imported = set()
        for path in (PYTHON_DIR / "src" / "grantvault").glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
        # IPython is imported only inside a running notebook kernel, where it is present.
        third_party = {
            name for name in imported - {"IPython"} if name not in sys.stdlib_module_names
        }
        self.assertEqual(third_party, set())
        self.assertIn("http", imported)


if __name__ == "__main__":
    unittest.main()
