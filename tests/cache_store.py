"""Reading and damaging the result cache's databases from tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from redline import cache as cache_mod


def database(cache_dir: Path) -> Path:
    (found,) = cache_dir.glob("*.sqlite")
    return found


def rows(cache_dir: Path) -> dict[str, dict]:
    """rel -> {"result": document, "flows": document or None, ...} of the one cached scan."""
    with sqlite3.connect(database(cache_dir)) as db:
        found = db.execute("SELECT rel, id, size, mtime, digest, result, flows FROM files").fetchall()
    return {
        rel: {
            "id": ident,
            "digest": digest,
            "result": cache_mod.unpack(result),
            "flows": cache_mod.unpack(flows) if flows is not None else None,
        }
        for rel, ident, _, _, digest, result, flows in found
    }


def texts(cache_dir: Path) -> list[str]:
    """Everything the cache holds, as text: the raw files and every stored document."""
    out = [p.read_bytes().decode("latin-1") for p in cache_dir.rglob("*") if p.is_file()]
    with sqlite3.connect(database(cache_dir)) as db:
        for (blob,) in db.execute("SELECT result FROM files UNION ALL SELECT flows FROM files"
                                  " UNION ALL SELECT value FROM taint UNION ALL SELECT value FROM links"):
            if blob is not None:
                out.append(repr(cache_mod.unpack(blob)))
    return out


def execute(cache_dir: Path, sql: str, args=()) -> None:
    with sqlite3.connect(database(cache_dir)) as db:
        db.execute(sql, args)
