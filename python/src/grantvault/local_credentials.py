"""The local credentials file of an embedded vault (the same contract as the TypeScript SDK's).

On its first start the embedded default writes the first app's key to
``.grantvault/credentials.json`` (mode 0600) in the folder it was started from. A client given
no key finds that file by walking up from its working directory, as git finds ``.git``, and
uses the key only with the file's own URL: a client pointed at another vault never sends it.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .errors import VaultValueError

LOCAL_DATA_DIR = ".grantvault"
LOCAL_CREDENTIALS_FILE = "credentials.json"

_announced = False


@dataclass(frozen=True)
class LocalCredentials:
    path: Path
    url: str
    api_key: str
    app_name: str


def find_local_credentials(cwd: Path | None = None) -> LocalCredentials | None:
    """The nearest ``.grantvault/credentials.json`` in ``cwd`` or a folder above it, or None."""
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        path = folder / LOCAL_DATA_DIR / LOCAL_CREDENTIALS_FILE
        try:
            info = path.stat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        # Someone else's file (a .grantvault/ planted in /tmp, say) would send this client's
        # connects and calls to their vault: refused, as git refuses a repository it does not own.
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise VaultValueError(
                "invalid_argument",
                f"{path} belongs to another user; not using it "
                "(set GRANTVAULT_API_KEY and GRANTVAULT_URL instead)",
            )
        if os.name == "posix" and info.st_mode & 0o077:
            raise VaultValueError(
                "invalid_argument",
                f"{path} holds an API key but other users can read it; run: chmod 600 {path}",
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if not _valid(data):
            raise VaultValueError("invalid_argument", f"{path} is not a Grantvault credentials file")
        return LocalCredentials(path, data["url"], data["api_key"], data["app_name"])
    return None


def resolve_vault_access(api_key: str | None, base_url: str | None) -> tuple[str, str | None]:
    """The key and URL a client runs with: the arguments, else ``GRANTVAULT_API_KEY`` and
    ``GRANTVAULT_URL``, else the local credentials file (said once on stderr)."""
    global _announced
    key = api_key if api_key is not None else os.environ.get("GRANTVAULT_API_KEY")
    url = base_url if base_url is not None else os.environ.get("GRANTVAULT_URL")
    if key:
        return key, url
    local = find_local_credentials()
    if local is not None and (not url or _origin(url) == _origin(local.url)):
        if not _announced:
            _announced = True
            print(
                f'grantvault: using the local vault {local.url} (app "{local.app_name}", '
                f"key from {local.path})",
                file=sys.stderr,
            )
        return local.api_key, url or local.url
    if local is not None:
        raise VaultValueError(
            "invalid_argument",
            f"no API key for {url}: pass api_key= or set GRANTVAULT_API_KEY (the local vault's "
            f"key in {local.path} is only sent to {local.url})",
        )
    raise VaultValueError(
        "invalid_argument",
        "no API key: set GRANTVAULT_API_KEY (or pass api_key=), or run inside the folder where "
        f"the vault was started (its {LOCAL_DATA_DIR}/ holds the key). A vault's operator mints "
        "one with `npx grantvault-server keys create --app default`",
    )


def _valid(data: object) -> bool:
    if not isinstance(data, dict) or data.get("version") != 1:
        return False
    fields = ("url", "api_key", "app_id", "app_name")
    if not all(isinstance(data.get(name), str) and data[name] for name in fields):
        return False
    return urllib.parse.urlsplit(data["url"]).scheme in ("http", "https")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or ""), port
