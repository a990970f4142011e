"""A minimal PEP 517 / PEP 660 build backend for this pure-Python package, standard library only.

Why not setuptools: pip builds in an isolated environment and would download setuptools first,
which fails on a machine without access to a package index. This backend needs nothing, so
``pip install ./python`` (and ``pip install -e ./python``) work offline.

It packs ``src/grantvault`` (every ``.py`` file and ``py.typed``) with the metadata of
``pyproject.toml``'s ``[project]`` table and ``README.md``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "grantvault"
TAG = "py3-none-any"


def _project() -> dict[str, Any]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.10: read the [project] table's simple string values.
        section = text.split("[project]", 1)[1].split("\n[", 1)[0]
        found = re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"\s*$', section, flags=re.MULTILINE)
        return dict(found)
    project: dict[str, Any] = tomllib.loads(text)["project"]
    return project


def _metadata() -> str:
    project = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.10')}",
    ]
    license_value = project.get("license")
    if isinstance(license_value, str):
        lines.append(f"License: {license_value}")
    for classifier in project.get("classifiers") or []:
        lines.append(f"Classifier: {classifier}")
    readme = ROOT / "README.md"
    body = readme.read_text(encoding="utf-8") if readme.exists() else ""
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + body


def _dist_info() -> str:
    project = _project()
    return f"{project['name']}-{project['version']}.dist-info"


def _wheel_name() -> str:
    project = _project()
    return f"{project['name']}-{project['version']}-{TAG}.whl"


def _package_files() -> list[tuple[str, bytes]]:
    source = ROOT / "src" / PACKAGE
    files = sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and (path.suffix == ".py" or path.name == "py.typed")
        and "__pycache__" not in path.parts
    )
    return [
        (f"{PACKAGE}/{path.relative_to(source).as_posix()}", path.read_bytes()) for path in files
    ]


def _write_wheel(directory: str, entries: list[tuple[str, bytes]]) -> str:
    dist_info = _dist_info()
    entries = [
        *entries,
        (f"{dist_info}/METADATA", _metadata().encode("utf-8")),
        (
            f"{dist_info}/WHEEL",
            (
                "Wheel-Version: 1.0\nGenerator: grantvault_build\n"
                f"Root-Is-Purelib: true\nTag: {TAG}\n"
            ).encode("ascii"),
        ),
    ]
    record = io.StringIO()
    for name, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{name},sha256={digest},{len(data)}\n")
    record.write(f"{dist_info}/RECORD,,\n")
    entries.append((f"{dist_info}/RECORD", record.getvalue().encode("utf-8")))
    name = _wheel_name()
    with zipfile.ZipFile(Path(directory) / name, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for entry, data in entries:
            info = zipfile.ZipInfo(entry, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return name


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    """PEP 517: nothing is needed to build."""
    return []


def get_requires_for_build_sdist(config_settings: Any = None) -> list[str]:
    """PEP 517: nothing is needed to build."""
    return []


def get_requires_for_build_editable(config_settings: Any = None) -> list[str]:
    """PEP 660: nothing is needed to build."""
    return []


def build_wheel(
    wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None
) -> str:
    """PEP 517: builds the wheel into ``wheel_directory`` and returns its file name."""
    return _write_wheel(wheel_directory, _package_files())


def build_editable(
    wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None
) -> str:
    """PEP 660: a wheel whose ``.pth`` file puts ``src/`` on the path (edits apply at once)."""
    pth = f"{(ROOT / 'src').as_posix()}\n".encode()
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth", pth)])


def build_sdist(sdist_directory: str, config_settings: Any = None) -> str:
    """PEP 517: builds the source archive into ``sdist_directory`` and returns its file name."""
    project = _project()
    base = f"{project['name']}-{project['version']}"
    name = f"{base}.tar.gz"
    paths = [ROOT / "pyproject.toml", ROOT / "README.md"]
    paths += sorted(p for p in (ROOT / "build_backend").glob("*.py"))
    paths += sorted(
        p for p in (ROOT / "src").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    with tarfile.open(Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as sdist:
        for path in paths:
            if path.exists():
                sdist.add(path, arcname=f"{base}/{path.relative_to(ROOT).as_posix()}")
        info = _metadata().encode("utf-8")
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(info)
        entry.mode = 0o644
        sdist.addfile(entry, io.BytesIO(info))
    return name
