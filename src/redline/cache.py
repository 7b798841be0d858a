"""Per-file result cache: one SQLite database per scan root and settings.

An entry is reused when the file's size and modification time are unchanged
(no read at all), or, when only the time changed (a checkout, a touch), when the
content hash is the same. A file's row holds its results and its flow graph as
zlib-compressed JSON, never pickle: the cache directory must not become a way to
run code. A scan writes only the rows of files it analysed, in one transaction, so
a crash mid-write leaves the previous state and concurrent scans see whole rows.
A damaged database is removed and rebuilt. Safe to delete at any time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import time
import zlib
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

FORMAT = 6
LINKS_TOKEN = "//token"  # the links row naming the stored taint result the others go with
# The result cache's size limit, least recently used scan roots evicted first.
DEFAULT_LIMIT_MB = 300
LIMIT_ENV = "REDLINE_CACHE_MB"
# What a cached scan is made of: its database with SQLite's companions, and the JSON
# documents of the formats before 5 (evicted and cleared like any other entry).
_SUFFIXES = (".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal", ".json")
_MAX_DOCUMENT = 256 * 1024 * 1024  # a stored document inflating past this is damage
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, id TEXT, size INTEGER, mtime INTEGER,"
    " digest TEXT, result BLOB, flows BLOB)",
    "CREATE TABLE IF NOT EXISTS taint (key TEXT PRIMARY KEY, value BLOB)",
    # what redline.python.partial needs of the last whole-project analysis, by module
    "CREATE TABLE IF NOT EXISTS links (rel TEXT PRIMARY KEY, value BLOB)",
    # an editor's unsaved buffers as last analysed (one a file), never the files' results:
    # reused while a buffer does not change, compared with its next edit (redline.python.partial)
    "CREATE TABLE IF NOT EXISTS buffers (rel TEXT PRIMARY KEY, id TEXT, digest TEXT, result BLOB, flows BLOB)",
)


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
    """The cached results of one scan root and settings: its database and companions."""

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
        name, dot, suffix = path.name.partition(".")
        if dot and "." + suffix.rpartition(".")[2] in _SUFFIXES and path.is_file():
            groups.setdefault(name, []).append(path)
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
    never the entry ``keep`` (the scan's own). Returns the bytes freed. Safe while other
    scans run: one that has an evicted database open keeps it until it closes it, and a
    reader that finds an entry gone analyses again."""
    freed = 0
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
    return len(found), _remove(p for e in found for p in e.files)


@functools.cache
def code_signature() -> str:
    """Changes whenever redline's own code or data files change (read once a process:
    the code a process runs is what it loaded at its start)."""
    pkg = Path(redline.__file__).parent
    h = hashlib.sha256(f"{redline.__version__}:{FORMAT}".encode())
    for path in sorted(pkg.rglob("*")):
        if path.suffix in (".py", ".toml", ".yaml", ".json") and path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def pack(document) -> bytes:
    """A JSON document as the cache stores it."""
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"), 6)


def unpack(blob) -> object:
    """A stored document; ValueError when it is damaged (or inflates past any real one)."""
    if not isinstance(blob, bytes):
        raise ValueError("not a stored document")
    try:
        inflate = zlib.decompressobj()
        data = inflate.decompress(blob, _MAX_DOCUMENT)
    except zlib.error as exc:
        raise ValueError(str(exc)) from None
    if inflate.unconsumed_tail:
        raise ValueError("stored document too large")
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("stored document nested too deeply") from None


class ResultCache:
    """The cached results of one scan root under one set of settings.

    Rows are read once, on the first lookup; flow graphs only when some file changed
    and the taint analysis must run again. ``save`` writes what this scan analysed,
    forgets files no longer scanned, and keeps the cache within its size limit.
    """

    def __init__(self, directory: Path, root: str, salt: str) -> None:
        name = hashlib.sha256(f"{root}\0{salt}".encode()).hexdigest()[:32]
        self.path = directory / f"{name}.sqlite"
        self.salt = salt
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._loaded = False
        self._rows: dict[str, tuple] = {}  # rel -> (id, size, mtime, digest, result blob)
        self._used: set[str] = set()  # rows this scan reused
        self._retimed: dict[str, int] = {}  # reused through the content hash: new mtime
        self._stored: dict[str, tuple] = {}  # rel -> a new row
        self._flows: dict[str, tuple[str, bytes]] | None = None  # rel -> (digest, blob)
        self._taint_old: dict | None = None
        self._taint_new: dict | None = None
        self._links: dict[str, dict] = {}  # state rows to write
        self._buffers: dict[str, tuple] = {}  # rel -> (id, digest, result blob, flows blob) to write
        self._links_replace = False

    # -- the database ----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection | None:
        """The open database, created when missing; a damaged one is removed and made
        anew; None when neither works (then the scan runs without a cache)."""
        if self._db is not None or self._broken:
            return self._db
        for attempt in range(2):
            db = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:
                    pass  # a file system without shared memory: the default journal
                db.execute("PRAGMA synchronous=NORMAL")
                for statement in _SCHEMA:
                    db.execute(statement)
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                if meta != {"format": str(FORMAT), "salt": self.salt}:
                    with db:
                        db.execute("DELETE FROM files")
                        db.execute("DELETE FROM taint")
                        db.execute("DELETE FROM links")
                        db.execute("DELETE FROM buffers")
                        db.execute("DELETE FROM meta")
                        db.executemany(
                            "INSERT INTO meta VALUES (?, ?)", (("format", str(FORMAT)), ("salt", self.salt))
                        )
                self._db = db
                return db
            except sqlite3.DatabaseError:
                if db is not None:
                    db.close()
                if attempt == 0:  # not a database, or a damaged one: start again
                    _remove(self.path.parent / (self.path.name + s) for s in ("", "-wal", "-shm", "-journal"))
            except (OSError, sqlite3.Error):
                if db is not None:
                    db.close()
                break
        self._broken = True
        return None

    def _query(self, sql: str, args=()) -> list[tuple]:
        db = self._connect()
        if db is None:
            return []
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []

    def _load(self) -> None:
        self._loaded = True
        for rel, ident, size, mtime, data_digest, result in self._query(
            "SELECT rel, id, size, mtime, digest, result FROM files"
        ):
            self._rows[rel] = (ident, size, mtime, data_digest, result)
        for key, value in self._query("SELECT key, value FROM taint"):
            try:
                taint = unpack(value)
            except ValueError:
                continue
            if isinstance(taint, dict):
                self._taint_old = {**taint, "key": key}
        if self._rows:
            try:  # used now (the access time: the content did not change)
                os.utime(self.path, ns=(time.time_ns(), self.path.stat().st_mtime_ns))
            except OSError:
                pass

    # -- per-file results ------------------------------------------------------------------
    def lookup(self, task, st: os.stat_result):
        """The cached result for an unchanged file, or None. Reads the file only
        when its size matches but its time does not."""
        if not self._loaded:
            self._load()
        row = self._rows.get(task.rel)
        if row is None or row[0] != _identity(task) or row[1] != st.st_size:
            return None
        if row[2] != st.st_mtime_ns:
            try:
                data = Path(task.path).read_bytes()
            except OSError:
                return None
            if digest(data) != row[3]:
                return None
            self._retimed[task.rel] = st.st_mtime_ns
        try:
            result = result_from_dict(unpack(row[4]))
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            self._retimed.pop(task.rel, None)
            return None
        result.digest = row[3]
        self._used.add(task.rel)
        return result

    def load_flows(self) -> None:
        """Read every stored flow graph at once (a whole-project analysis needs them all)."""
        if self._flows is None:
            self._flows = {
                r: (d, blob) for r, d, blob in self._query("SELECT rel, digest, flows FROM files WHERE flows IS NOT NULL")
            }

    def keep(self, rel: str) -> None:
        """Keep a file's row although this scan did not read it (it analysed an unsaved
        buffer in its place)."""
        if not self._loaded:
            self._load()
        self._used.add(rel)

    def flows(self, rel: str, data_digest: str) -> dict | None:
        """The flow graph stored for a file with this content, or None. Until this scan's
        ``save``, a changed file's row is still the last scan's."""
        if self._flows is not None:
            stored = self._flows.get(rel)
        else:
            found = self._query("SELECT digest, flows FROM files WHERE rel = ? AND flows IS NOT NULL", (rel,))
            stored = found[0] if found else None
        if stored is None or stored[0] != data_digest:
            stored = self._buffer_row(rel, data_digest, "flows")
        if stored is None:
            return None
        try:
            graph = unpack(stored[1])
        except (ValueError, RecursionError):
            return None
        return graph if isinstance(graph, dict) else None

    def summary(self, rel: str, data_digest: str) -> dict | None:
        """The module summary (redline.python.index) stored for a file with this content,
        or None; until ``save``, a changed file's is still the last scan's."""
        if not self._loaded:
            self._load()
        row = self._rows.get(rel)
        blob = row[4] if row is not None and row[3] == data_digest else None
        if blob is None:
            stored = self._buffer_row(rel, data_digest, "result")
            blob = stored[1] if stored is not None else None
        if blob is None:
            return None
        try:
            found = unpack(blob).get("summary")
        except (ValueError, RecursionError, AttributeError):
            return None
        return found if isinstance(found, dict) else None

    def buffer(self, task, data_digest: str):
        """The last scan's result for an unsaved buffer with this content, or None."""
        found = self._query("SELECT id, digest, result, flows FROM buffers WHERE rel = ?", (task.rel,))
        if not found or found[0][0] != _identity(task) or found[0][1] != data_digest:
            return None
        try:
            result = result_from_dict(unpack(found[0][2]))
            # the graph read now: a scan saving meanwhile (another process) may empty the table
            result.flows = unpack(found[0][3]) if found[0][3] is not None else None
            if result.flows is not None and not isinstance(result.flows, dict):
                return None
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            return None  # a damaged row (the result or its graph): analysed again
        result.digest = data_digest
        return result

    def store_buffer(self, task, data_digest: str, result) -> None:
        """An unsaved buffer's analysis, kept beside (never as) the file's result."""
        entry = result_to_dict(result)
        graph = entry.pop("flows", None)
        self._buffers[task.rel] = (
            _identity(task), data_digest, pack(entry), pack(graph) if graph is not None else None
        )

    def _buffer_row(self, rel: str, data_digest: str, column: str) -> tuple | None:
        """(digest, blob) of the last scan's buffer's ``column`` with this content, or None."""
        found = self._query(f"SELECT digest, {column} FROM buffers WHERE rel = ? AND {column} IS NOT NULL", (rel,))
        return found[0] if found and found[0][0] == data_digest else None

    def store(self, task, st: os.stat_result, data_digest: str, result) -> None:
        entry = result_to_dict(result)
        graph = entry.pop("flows", None)
        self._stored[task.rel] = (
            _identity(task),
            st.st_size,
            st.st_mtime_ns,
            data_digest,
            pack(entry),
            pack(graph) if graph is not None else None,
        )
        self._retimed.pop(task.rel, None)

    # -- the project's taint result --------------------------------------------------------
    def taint(self, key: str) -> dict | None:
        """The taint result computed last time over exactly the same files."""
        if not self._loaded:
            self._load()
        old = self._taint_old
        if old is not None and old.get("key") == key:
            self._taint_new = old
            return old
        return None

    def previous_taint(self) -> dict | None:
        """The taint result stored last, whatever files it was computed over."""
        if not self._loaded:
            self._load()
        return self._taint_old

    def link_row(self, rel: str) -> dict | None:
        """A module's row of the state redline.python.partial keeps (``store_taint``)."""
        found = self._query("SELECT value FROM links WHERE rel = ?", (rel,))
        if not found:
            return None
        try:
            row = unpack(found[0][0])
        except ValueError:
            return None
        return row if isinstance(row, dict) else None

    def store_taint(
        self, key: str, result, digests: list, shapes: dict, links: dict | None = None, replace: bool = False
    ) -> None:
        """``result``: a redline.python.taint.TaintResult, with the [module, digest] of
        the files it was computed over and the modules' shapes (for taint.replay);
        ``links``: the rows of redline.python.partial's state that changed (``replace``:
        all of them), else those stored stay valid (positions kept their meaning)."""
        previous = self._taint_old or {}
        token = previous.get("links")
        if links is not None:
            token = key
            links[LINKS_TOKEN] = {"token": token}  # which taint result the rows belong to
            self._links, self._links_replace = links, replace
        self._taint_new = {
            "links": token,
            "key": key,
            "findings": [finding_to_dict(f) for f in result.findings],
            "suppressed": result.suppressed,
            "hidden": [finding_to_dict(f) for f in result.hidden],
            "safe": sorted(result.safe, key=repr),
            "mitigated": sorted(([list(k), why] for k, why in result.mitigated.items()), key=repr),
            "trace": result.trace,
            "digests": digests,
            "shapes": shapes,
        }

    def save(self) -> None:
        """Write the rows of this scan's analysed files and forget files no longer
        scanned, in one transaction; then keep the cache within its size limit."""
        gone = [(rel,) for rel in self._rows if rel not in self._used and rel not in self._stored]
        taint = self._taint_new if self._taint_new is not self._taint_old else None
        if self._stored or self._retimed or gone or taint is not None or self._buffers:
            db = self._connect()
            if db is not None:
                try:
                    with db:
                        db.executemany(
                            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                            ((rel, *row) for rel, row in self._stored.items()),
                        )
                        db.executemany(
                            "UPDATE files SET mtime = ? WHERE rel = ?", ((m, rel) for rel, m in self._retimed.items())
                        )
                        db.executemany("DELETE FROM files WHERE rel = ?", gone)
                        db.executemany("DELETE FROM buffers WHERE rel = ?", gone)
                        db.executemany(
                            "INSERT OR REPLACE INTO buffers VALUES (?, ?, ?, ?, ?)",
                            ((rel, *row) for rel, row in self._buffers.items()),
                        )
                        if taint is not None:
                            db.execute("DELETE FROM taint")
                            body = {k: v for k, v in taint.items() if k != "key"}
                            db.execute("INSERT INTO taint VALUES (?, ?)", (taint["key"], pack(body)))
                            if self._links_replace:
                                db.execute("DELETE FROM links")
                            db.executemany(
                                "INSERT OR REPLACE INTO links VALUES (?, ?)",
                                ((rel, pack(row)) for rel, row in self._links.items()),
                            )
                except sqlite3.Error:
                    pass  # a read-only or full disk only costs speed
        self.close()
        prune(self.path.parent, limit_bytes(), keep=self.path.name.split(".", 1)[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


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
