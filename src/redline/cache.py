"""Per-file result cache: one JSON document per scan root and settings.

An entry is reused when the file's size and modification time are unchanged
(no read at all), or, when only the time changed (a checkout, a touch), when the
content hash is the same. It is stored as JSON, never pickle: the cache directory
must not become a way to run code. Safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redline
from redline.analysis import FileResult, digest
from redline.model import (
    Area,
    Confidence,
    Finding,
    ForeignSuppression,
    Location,
    Severity,
    SkippedFile,
    TaintStep,
    location_dict,
)

FORMAT = 4
# The result cache's size limit, least recently used scan roots evicted first.
DEFAULT_LIMIT_MB = 300
LIMIT_ENV = "REDLINE_CACHE_MB"
_STALE_TMP_S = 3600  # a temporary file this old is left over from a crash mid-write


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "redline"


def limit_bytes() -> int:
    """The size limit: REDLINE_CACHE_MB (0 keeps only the last scan's entry), else the default."""
    raw = os.environ.get(LIMIT_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_LIMIT_MB
    except ValueError:
        mb = DEFAULT_LIMIT_MB
    return max(0, int(mb * 1024 * 1024))


@dataclass(frozen=True)
class Entry:
    """The cached results of one scan root and settings: its two documents."""

    name: str
    files: tuple[Path, ...]
    size: int
    last_used: float  # when a scan last read (access time) or wrote it


def entries(directory: Path) -> list[Entry]:
    """The result cache's entries, least recently used first (advisory data and other
    subdirectories are not result entries)."""
    groups: dict[str, list[Path]] = {}
    try:
        listing = list(directory.iterdir())
    except OSError:
        return []
    for path in listing:
        if path.suffix == ".json" and path.is_file():
            groups.setdefault(path.name.split(".", 1)[0], []).append(path)
    out = []
    for name, files in groups.items():
        size, used = 0, 0.0
        for f in files:
            try:
                st = f.stat()
            except OSError:
                continue
            size += st.st_size
            used = max(used, st.st_mtime, st.st_atime)
        out.append(Entry(name, tuple(sorted(files)), size, used))
    return sorted(out, key=lambda e: (e.last_used, e.name))


def _remove(paths) -> int:
    freed = 0
    for p in paths:
        try:
            size = p.stat().st_size
            p.unlink()
            freed += size
        except OSError:
            pass  # gone already (another scan evicted it) or not ours to remove
    return freed


def prune(directory: Path, limit: int, keep: str | None = None) -> int:
    """Evict the least recently used entries until the cache is within ``limit`` bytes,
    never the entry ``keep`` (the scan's own); also remove temporary files left by a
    crash. Returns the bytes freed. Safe while other scans run: a reader that finds an
    entry gone analyses again."""
    freed = 0
    now = time.time()
    try:
        leftovers = [p for p in directory.glob("*.tmp") if now - p.stat().st_mtime > _STALE_TMP_S]
    except OSError:
        leftovers = []
    freed += _remove(leftovers)
    found = entries(directory)
    total = sum(e.size for e in found)
    for e in found:
        if total <= limit:
            break
        if e.name == keep:
            continue
        freed += _remove(e.files)
        total -= e.size
    return freed


def clear(directory: Path) -> tuple[int, int]:
    """Remove every result entry (the advisory data stays): (entries, bytes)."""
    found = entries(directory)
    freed = _remove(p for e in found for p in e.files)
    freed += _remove(directory.glob("*.tmp"))
    return len(found), freed


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
    """The cached results of one scan root under one set of settings.

    Two documents: the per-file results with the last taint result (small, read on
    every scan), and the per-file flow graphs (large, read only when some file
    changed and the taint analysis must run again).
    """

    def __init__(self, directory: Path, root: str, salt: str) -> None:
        name = hashlib.sha256(f"{root}\0{salt}".encode()).hexdigest()[:32]
        self.path = directory / f"{name}.json"
        self.flows_path = directory / f"{name}.flows.json"
        self.salt = salt
        self._old: dict[str, dict] = {}
        self._new: dict[str, dict] = {}
        self._taint_old: dict | None = None
        self._taint_new: dict | None = None
        self._flows_old: dict[str, dict] | None = None
        self._flows_new: dict[str, dict] = {}
        self._stored = False
        self._loaded = False

    def _read(self, path: Path) -> dict | None:
        try:
            with path.open("r", encoding="utf-8") as fh:
                doc = json.load(fh)
            if isinstance(doc, dict) and doc.get("format") == FORMAT and doc.get("salt") == self.salt:
                return doc
        except (OSError, ValueError, AttributeError, RecursionError):
            pass  # missing or corrupt: everything is analysed again
        return None

    def _load(self) -> None:
        self._loaded = True
        doc = self._read(self.path) or {}
        if doc:
            try:  # used now (the access time: the content did not change)
                os.utime(self.path, ns=(time.time_ns(), self.path.stat().st_mtime_ns))
            except OSError:
                pass
        entries = doc.get("entries")
        if isinstance(entries, dict):
            self._old = entries
        taint = doc.get("taint")
        if isinstance(taint, dict):
            self._taint_old = taint

    def lookup(self, task, st: os.stat_result):
        """The cached result for an unchanged file, or None. Reads the file only
        when its size matches but its time does not."""
        if not self._loaded:
            self._load()
        entry = self._old.get(task.rel)
        if not isinstance(entry, dict) or entry.get("id") != _identity(task):
            return None
        if entry.get("size") != st.st_size:
            return None
        if entry.get("mtime") != st.st_mtime_ns:
            try:
                data = Path(task.path).read_bytes()
            except OSError:
                return None
            if digest(data) != entry.get("digest"):
                return None
            entry = {**entry, "mtime": st.st_mtime_ns}
        try:
            result = result_from_dict(entry["result"])
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            return None
        result.digest = entry.get("digest", "")
        self._new[task.rel] = entry
        return result

    def flows(self, rel: str, data_digest: str) -> dict | None:
        """The flow graph stored for a file with this content, or None."""
        if self._flows_old is None:
            doc = self._read(self.flows_path) or {}
            graphs = doc.get("flows")
            self._flows_old = graphs if isinstance(graphs, dict) else {}
        entry = self._flows_old.get(rel)
        if isinstance(entry, dict) and entry.get("digest") == data_digest:
            graph = entry.get("flows")
            if isinstance(graph, dict):
                self._flows_new[rel] = entry
                return graph
        return None

    def store(self, task, st: os.stat_result, data_digest: str, result) -> None:
        self._stored = True
        entry = result_to_dict(result)
        graph = entry.pop("flows", None)
        if graph is not None:
            self._flows_new[task.rel] = {"digest": data_digest, "flows": graph}
        self._new[task.rel] = {
            "id": _identity(task),
            "size": st.st_size,
            "mtime": st.st_mtime_ns,
            "digest": data_digest,
            "result": entry,
        }

    def taint(self, key: str) -> dict | None:
        """The taint result computed last time over exactly the same files."""
        if not self._loaded:
            self._load()
        old = self._taint_old
        if old is not None and old.get("key") == key:
            self._taint_new = old
            return old
        return None

    def store_taint(self, key: str, result) -> None:
        """``result``: a redline.python.taint.TaintResult."""
        self._taint_new = {
            "key": key,
            "findings": [finding_to_dict(f) for f in result.findings],
            "suppressed": result.suppressed,
            "hidden": [finding_to_dict(f) for f in result.hidden],
            "safe": sorted(result.safe, key=repr),
            "mitigated": sorted(([list(k), why] for k, why in result.mitigated.items()), key=repr),
        }

    def save(self) -> None:
        """Write the entries of this scan (files no longer present are dropped)."""
        if self._stored or set(self._new) != set(self._old):
            for rel in self._new:  # keep the graphs of unchanged files
                if rel not in self._flows_new:
                    self.flows(rel, self._new[rel].get("digest", ""))
            self._write(self.flows_path, {"flows": self._flows_new})
        if self._new != self._old or self._taint_new != self._taint_old:
            self._write(self.path, {"entries": self._new, "taint": self._taint_new})
        prune(self.path.parent, limit_bytes(), keep=self.path.name.split(".", 1)[0])

    def _write(self, path: Path, body: dict) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"format": FORMAT, "salt": self.salt, **body}, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full disk only costs speed


def _identity(task) -> str:
    return f"{task.kind}:{task.module}:{int(task.is_package)}"


def finding_to_dict(f: Finding) -> dict:
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "area": f.area.slug,
        "severity": f.severity.name,
        "confidence": f.confidence.name,
        "location": location_dict(f.location),
        "message": f.message,
        "snippet": f.snippet,
        "cwe": f.cwe,
        "recommendation": f.recommendation,
        "scope": f.scope,
        "taint_path": [
            {"location": location_dict(s.location), "description": s.description} for s in f.taint_path
        ],
        "fingerprint": f.fingerprint,
        "stmt_start": f.stmt_start,
        "stmt_end": f.stmt_end,
        "evidence": list(f.evidence),
        "reasons": list(f.reasons),
    }


def result_to_dict(result) -> dict:
    return {
        "rel": result.rel,
        "findings": [finding_to_dict(f) for f in result.findings],
        "suppressed": result.suppressed,
        "foreign": [
            {
                "path": x.path,
                "line": x.line,
                "tool": x.tool,
                "text": x.text,
                "hides": list(x.hides),
                "standalone": x.standalone,
            }
            for x in result.foreign
        ],
        "skipped": (
            {
                "path": result.skipped.path,
                "reason": result.skipped.reason,
                "parse_failure": result.skipped.parse_failure,
            }
            if result.skipped
            else None
        ),
        "parser": result.parser,
        "summary": result.summary,
        "flows": result.flows,
        "digest": result.digest,
    }


def result_from_dict(data: dict):
    return FileResult(
        rel=data["rel"],
        findings=[finding_from_dict(f) for f in data["findings"]],
        suppressed=data["suppressed"],
        foreign=[ForeignSuppression(**{**f, "hides": tuple(f["hides"])}) for f in data["foreign"]],
        skipped=SkippedFile(**data["skipped"]) if data["skipped"] else None,
        parser=data["parser"],
        summary=data.get("summary"),
        flows=data.get("flows"),
        digest=data.get("digest", ""),
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
            "evidence": tuple(d.get("evidence", ())),
            "reasons": tuple(d.get("reasons", ())),
        }
    )
