"""Per-file result cache, keyed by content hash, stored as JSON (never pickle: the
cache directory must not become a way to run code). Safe to delete at any time."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import redline
from redline.model import (
    Area,
    Confidence,
    Finding,
    ForeignSuppression,
    Location,
    Severity,
    SkippedFile,
    TaintStep,
)

FORMAT = 1


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "redline"


def code_signature() -> str:
    """Changes whenever redline's own code or data files change."""
    pkg = Path(redline.__file__).parent
    h = hashlib.sha256(f"{redline.__version__}:{FORMAT}".encode())
    for path in sorted(pkg.rglob("*")):
        if path.suffix in (".py", ".toml", ".yaml", ".json") and path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


class ResultCache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.dir = directory
        self.salt = salt

    def key(self, task, data: bytes) -> str:
        h = hashlib.sha256()
        h.update(f"{self.salt}\0{task.rel}\0{task.kind}\0{task.module}\0{task.is_package}\0".encode())
        h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key[2:]}.json"

    def get(self, key: str):
        try:
            with self._path(key).open("r", encoding="utf-8") as fh:
                return result_from_dict(json.load(fh))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # missing or corrupt: analyse again

    def put(self, key: str, result) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(result_to_dict(result), fh, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full disk only costs speed


def _enum_default(value):
    if isinstance(value, (Severity, Confidence)):
        return value.name
    if isinstance(value, Area):
        return value.slug
    raise TypeError(type(value))


def result_to_dict(result) -> dict:
    out = asdict(result)
    # asdict keeps enums; make them JSON names.
    return json.loads(json.dumps(out, default=_enum_default))


def result_from_dict(data: dict):
    from redline.analysis import FileResult

    return FileResult(
        rel=data["rel"],
        findings=[finding_from_dict(f) for f in data["findings"]],
        suppressed=data["suppressed"],
        foreign=[ForeignSuppression(**{**f, "hides": tuple(f["hides"])}) for f in data["foreign"]],
        skipped=SkippedFile(**data["skipped"]) if data["skipped"] else None,
        parser=data["parser"],
        summary=data.get("summary"),
    )


def finding_from_dict(d: dict) -> Finding:
    return Finding(
        **{
            **d,
            "area": Area.parse(d["area"]),
            "severity": Severity[d["severity"]],
            "confidence": Confidence[d["confidence"]],
            "location": Location(**d["location"]),
            "taint_path": tuple(
                TaintStep(Location(**s["location"]), s["description"]) for s in d["taint_path"]
            ),
        }
    )
