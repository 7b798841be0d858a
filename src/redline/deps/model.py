"""What the manifest parsers produce: one Dependency per requirement line or entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

# Where a requirement comes from decides how it is judged.
DECLARED = "declared"  # a range a resolver will choose from (pyproject, setup.py, ...)
REQUIREMENT = "requirement"  # a line of a requirements file (what pip installs)
LOCKED = "locked"  # an exact version in a lock file
INSTALLED = "installed"  # the package an unpacked *.dist-info describes

_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$", re.IGNORECASE)
VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")


@dataclass(frozen=True)
class Dependency:
    name: str  # canonical (PEP 503)
    written: str  # the name as the manifest spells it
    path: str  # manifest, relative to the scan root
    line: int
    origin: str  # DECLARED | REQUIREMENT | LOCKED | INSTALLED
    fmt: str  # manifest format, e.g. "requirements", "poetry.lock"
    specifier: str = ""  # PEP 440 specifier ("" = any version)
    version: str | None = None  # the exact version, when one is pinned or locked
    url: str | None = None  # direct URL or VCS reference
    url_pinned: bool = True  # a VCS commit or an archive hash fixes what the URL gives
    local: bool = False  # a path on disk (the project itself, a sibling package)
    marker: str = ""
    group: str = ""  # optional extra, dev group, ...
    hashes: bool = False
    snippet: str = ""

    @property
    def is_pinned(self) -> bool:
        return self.version is not None or (self.url is not None and self.url_pinned) or self.local


@dataclass
class Manifest:
    path: str
    fmt: str
    dependencies: list[Dependency] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    is_lock: bool = False
    includes: list[str] = field(default_factory=list)  # other manifests read through this one
    # The Pythons the project (or distribution) supports, as written (PEP 440), when declared.
    requires_python: str | None = None


def canonical(name: str) -> str:
    return canonicalize_name(name.strip())


def is_commit(ref: str | None) -> bool:
    return bool(ref) and _COMMIT.match(ref.strip()) is not None  # type: ignore[union-attr]


def url_is_pinned(url: str) -> bool:
    """A VCS URL is pinned by a full commit hash after ``@``; an archive URL by a
    hash fragment (``#sha256=``)."""
    base, _, fragment = url.partition("#")
    if base.lower().startswith(VCS_SCHEMES):
        path = base.split("://", 1)[-1]
        ref = path.rsplit("@", 1)[1] if "@" in path.split("/", 1)[-1] else ""
        return is_commit(ref)
    return any(part.split("=", 1)[0].lower() in ("sha256", "sha384", "sha512") for part in fragment.split("&"))
