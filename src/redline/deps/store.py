"""The advisory data redline keeps in the user cache: OSV's PyPI export, fetched by
``redline db update`` (the only command that downloads it) with its date recorded."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.request
import zipfile
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from redline.deps.datafiles import DataError
from redline.knowledge import dependencies as knowledge

ARCHIVE = "osv-pypi-all.zip"
META = "osv-pypi-all.json"
MAX_DOWNLOAD = 1_000_000_000


def data_dir() -> Path:
    from redline.cache import default_dir

    return default_dir() / "advisories"


def cached(directory: Path | None = None) -> tuple[Path, dict] | None:
    """The downloaded archive and its metadata, when ``db update`` has run."""
    directory = directory or data_dir()
    archive, meta_path = directory / ARCHIVE, directory / META
    if not archive.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            meta = {}
    except (OSError, ValueError):
        meta = {}
    return archive, meta


def export_date(header: str | None) -> str | None:
    """The ISO date of an HTTP ``Last-Modified`` header (when the export was written)."""
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).astimezone(timezone.utc).strftime("%Y-%m-%d")
    except (TypeError, ValueError, IndexError):
        return None


def update(url: str | None = None, directory: Path | None = None, timeout: float = 60.0) -> dict:
    """Download the PyPI advisory archive into the cache; returns its metadata."""
    url = url or knowledge.source("pypi-all-zip")
    directory = directory or data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{directory}: cannot create: {exc.strerror or exc}") from None
    digest = hashlib.sha256()
    size = 0
    exported = None
    fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".zip", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) or a file the user named
            exported = export_date(response.headers.get("Last-Modified"))
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise DataError(f"{url}: larger than {MAX_DOWNLOAD:,} bytes, not kept")
                digest.update(chunk)
                out.write(chunk)
        try:
            with zipfile.ZipFile(tmp) as zf:
                records = sum(1 for n in zf.namelist() if n.lower().endswith((".json", ".yaml", ".yml")))
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{url}: the download is not a zip archive ({exc})") from None
        if not records:
            raise DataError(f"{url}: the archive holds no advisory records")
        os.replace(tmp, directory / ARCHIVE)
    except OSError as exc:
        raise DataError(f"{url}: download failed: {getattr(exc, 'reason', None) or exc.strerror or exc}") from None
    except ValueError as exc:  # urllib: an unknown URL type
        raise DataError(f"{url}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta = {
        "source": url,
        "downloaded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bytes": size,
        "sha256": digest.hexdigest(),
        "records": records,
    }
    if exported:
        meta["exported"] = exported
    (directory / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
