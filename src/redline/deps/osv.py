"""OSV advisory data: records read offline from a directory or an ``all.zip``,
turned into advisories that answer "is this version affected, and what fixes it".

A directory may hold OSV records in JSON or YAML at any depth (the PyPA advisory
database keeps ``vulns/<package>/PYSEC-*.yaml``). When it is laid out one
directory per package, only the packages the project uses are read.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from redline.deps import cvss
from redline.deps.datafiles import (
    MAX_RECORD_BYTES,
    DataError,
    decode,
    load_json,
    load_yaml,
    read_text,
)
from redline.deps.versions import Affected, make_range, normal, parse
from redline.knowledge import dependencies as knowledge
from redline.model import AdvisoryRef, Severity

RECORD_SUFFIXES = (".json", ".yaml", ".yml")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A record's `modified` date, found without parsing the record (for the data's date).
_MODIFIED = re.compile(rb"""modified["']?[ \t]*:[ \t]*["']?(\d{4}-\d\d-\d\d)""")
_LABELS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: Severity
    severity_basis: str  # "CVSS 9.8", "advisory label HIGH", "code execution", "default"
    modified: str
    affected: tuple[tuple[str, Affected], ...]  # (canonical package name, what is affected)
    cvss: str = ""  # the vector the score comes from
    score: float | None = None
    url: str = ""  # where to read about it

    @property
    def names(self) -> set[str]:
        return {self.id, *self.aliases}


# Advisories (one vulnerability, merged across databases by alias) for a version or a
# range: what the finding carries and the reports list.
Match = AdvisoryRef


# (advisory, first fixed version, affected interval) before merging by alias
_Hit = tuple[Advisory, "str | None", str]


@dataclass
class AdvisoryDB:
    source: str  # what was read, for the report
    date: str | None  # the data's date (ISO): the newest `modified` of every record in it
    by_package: dict[str, list[tuple[Advisory, Affected]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    records: int = 0
    withdrawn: int = 0

    def add(self, adv: Advisory) -> None:
        self.records += 1
        for name, affected in adv.affected:
            self.by_package.setdefault(name, []).append((adv, affected))
        self.saw(adv.modified)

    def saw(self, modified: str | None) -> None:
        """Count a record's ``modified`` date towards the data's date."""
        day = (modified or "")[:10]
        if _DAY.match(day) and (self.date is None or day > self.date):
            self.date = day

    def vulnerabilities(self, package: str, version: str) -> list[Match]:
        """The advisories affecting ``package`` at ``version``."""
        hits: list[_Hit] = [
            (adv, aff.first_fix(version), aff.interval(version))
            for adv, aff in self.by_package.get(canonicalize_name(package), ())
            if aff.covers(version)
        ]
        return _merge(hits)

    def admitted(self, package: str, spec: SpecifierSet) -> list[tuple[Match, str]]:
        """Advisories with an affected version that ``spec`` allows, with one such version;
        each Match's ``fixed`` is the first fixed version the range admits when there is
        one, else the first after that version."""
        found: list[_Hit] = []
        example: dict[str, str] = {}
        for adv, aff in self.by_package.get(canonicalize_name(package), ()):
            v = aff.admitted_by(spec)
            if v is not None:
                inside = next((str(f) for f in aff.fixes() if f > parse(v) and spec.contains(f, prereleases=True)), None)
                found.append((adv, inside or aff.first_fix(v), aff.interval(v)))
                example[adv.id] = v
        out = []
        for m in _merge(found):
            shown = next((example[i] for i in (m.id, *m.aliases) if i in example), "")
            out.append((m, shown))
        return out

    def affecting(self, package: str, ids: Iterable[str]) -> list[Affected]:
        """What the advisories named by ``ids`` (ids or aliases) say about ``package``."""
        wanted = set(ids)
        return [aff for adv, aff in self.by_package.get(canonicalize_name(package), ()) if adv.names & wanted]


def _preference(adv_id: str) -> tuple[int, str]:
    for rank, prefix in enumerate(("PYSEC-", "GHSA-", "CVE-")):
        if adv_id.startswith(prefix):
            return rank, adv_id
    return 9, adv_id


def _merge(hits: list[_Hit]) -> list[Match]:
    """One Match per vulnerability: advisories sharing an id or alias are one."""
    groups: list[tuple[set[str], list[_Hit]]] = []
    for adv, fix, interval in hits:
        names = adv.names
        joined = [g for g in groups if g[0] & names]
        merged_names, merged = set(names), [(adv, fix, interval)]
        for g in joined:
            merged_names |= g[0]
            merged.extend(g[1])
            groups.remove(g)
        groups.append((merged_names, merged))
    out = []
    for names, members in groups:
        primary_hit = min(members, key=lambda h: _preference(h[0].id))
        primary = primary_hit[0]
        worst = max((a for a, _, _ in members), key=lambda a: a.severity)
        scored = max((a for a, _, _ in members if a.score is not None), key=lambda a: a.score or 0.0, default=None)
        fixes = [f for _, f, _ in members if f]
        out.append(
            Match(
                id=primary.id,
                aliases=tuple(sorted(names - {primary.id}, key=_preference)),
                summary=primary.summary or worst.summary,
                severity=worst.severity,
                severity_basis=worst.severity_basis,
                fixed=max(fixes, key=_version_key) if fixes else None,
                cvss=scored.cvss if scored is not None else "",
                score=scored.score if scored is not None else None,
                affected=primary_hit[2] or next((h[2] for h in members if h[2]), ""),
                url=primary.url or next((a.url for a, _, _ in members if a.url), ""),
            )
        )
    out.sort(key=lambda m: (-m.severity, _preference(m.id)))
    return out


def _version_key(text: str):
    v = parse(text)
    return (v is not None, v or text)


# ---------------------------------------------------------------------------
# Records


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _summary(record: dict) -> str:
    text = _text(record.get("summary")).strip()
    if not text:
        details = " ".join(_text(record.get("details")).split())
        text = details.split(". ")[0]
    return text[:240]


def _cvss(record: dict, affected: list[dict]) -> tuple[str, float] | None:
    """The highest-scoring CVSS vector of a record and its base score."""
    scores = []
    for entry in [*(record.get("severity") or []), *(s for a in affected for s in (a.get("severity") or []))]:
        if isinstance(entry, dict):
            vector = _text(entry.get("score"))
            base = cvss.score(_text(entry.get("type")), vector)
            if base is not None:
                scores.append((base, vector))
    if not scores:
        return None
    base, vector = max(scores)
    return vector, base


def _url(record: dict) -> str:
    """The record's advisory page (type ADVISORY), else its first web reference."""
    refs = [r for r in record.get("references") or [] if isinstance(r, dict) and _text(r.get("url")).startswith(("https://", "http://"))]
    for kind in ("ADVISORY", "WEB", None):
        for r in refs:
            if kind is None or r.get("type") == kind:
                return _text(r.get("url"))
    return ""


def _severity(record: dict, affected: list[dict]) -> tuple[Severity, str]:
    found = _cvss(record, affected)
    if found is not None:
        return cvss.severity_of(found[1]), f"CVSS {found[1]:.1f}"
    for block in (record.get("database_specific"), *(a.get("database_specific") for a in affected)):
        if isinstance(block, dict):
            label = _LABELS.get(_text(block.get("severity")).upper())
            if label is not None:
                return label, f"advisory rating {label.name}"
    if knowledge.is_code_execution(f"{_text(record.get('summary'))} {_text(record.get('details'))}"):
        return Severity.HIGH, "code execution"
    return Severity.MEDIUM, "no CVSS in the record"


def advisory(record: object) -> Advisory | None:
    """An Advisory for the PyPI packages a record names; None when it names none or
    is withdrawn. Raises DataError for a record that is not OSV."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise DataError("not an OSV record (no string 'id')")
    if record.get("withdrawn"):
        return None
    raw_affected = record.get("affected") or []
    if not isinstance(raw_affected, list):
        raise DataError(f"{record['id']}: 'affected' is not a list")
    affected_dicts = [a for a in raw_affected if isinstance(a, dict)]
    affected: list[tuple[str, Affected]] = []
    for a in affected_dicts:
        pkg = a.get("package")
        if not isinstance(pkg, dict) or not _text(pkg.get("ecosystem")).lower().startswith("pypi"):
            continue
        name = _text(pkg.get("name"))
        if not name:
            continue
        ranges = []
        for r in a.get("ranges") or []:
            if isinstance(r, dict) and r.get("type") in ("ECOSYSTEM", "SEMVER"):
                made = make_range(r.get("events") or [])
                if made is not None:
                    ranges.append(made)
        versions = frozenset(normal(v) for v in (a.get("versions") or []) if isinstance(v, str))
        affected.append((canonicalize_name(name), Affected(tuple(ranges), versions)))
    if not affected:
        return None
    severity, basis = _severity(record, affected_dicts)
    vector, score = _cvss(record, affected_dicts) or ("", None)
    aliases = tuple(a for a in (record.get("aliases") or []) if isinstance(a, str) and a != record["id"])
    return Advisory(
        id=record["id"],
        aliases=aliases,
        summary=_summary(record),
        severity=severity,
        severity_basis=basis,
        modified=_text(record.get("modified")),
        affected=tuple(affected),
        cvss=vector,
        score=score,
        url=_url(record),
    )


def records_in(doc: object) -> list[object]:
    """Records in a parsed file: one record, a list of them, or an API ``{"vulns": [...]}``."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("vulns"), list):
        return doc["vulns"]
    return [doc]


def parse_record_text(text: str, name: str) -> object:
    return load_json(text) if name.endswith(".json") else load_yaml(text)


# ---------------------------------------------------------------------------
# Loading


def _variants(names: Iterable[str]) -> list[bytes]:
    out = set()
    for n in names:
        out |= {n, n.replace("-", "_"), n.replace("-", ".")}
    return [v.encode() for v in out]


def _add_file(db: AdvisoryDB, label: str, text: str) -> None:
    try:
        for record in records_in(parse_record_text(text, label.lower())):
            if isinstance(record, dict):
                db.saw(_text(record.get("modified")))
            adv = advisory(record)
            if adv is None:
                if isinstance(record, dict) and record.get("withdrawn"):
                    db.withdrawn += 1
                continue
            db.add(adv)
    except DataError as exc:
        db.errors.append(f"{label}: {exc}")


def load_zip(path: Path, wanted: set[str] | None = None, source: str | None = None) -> AdvisoryDB:
    db = AdvisoryDB(source or f"OSV archive {path}", None)
    needles = _variants(wanted) if wanted is not None else None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir() or not info.filename.lower().endswith(RECORD_SUFFIXES):
                    continue
                if info.file_size > MAX_RECORD_BYTES:
                    db.errors.append(f"{info.filename}: larger than {MAX_RECORD_BYTES:,} bytes, skipped")
                    continue
                with zf.open(info) as fh:
                    data = fh.read(MAX_RECORD_BYTES + 1)
                if needles is not None:
                    low = data.lower()
                    if not any(n in low for n in needles):
                        _saw_unread(db, data)
                        continue
                try:
                    text = decode(data, MAX_RECORD_BYTES)
                except DataError as exc:
                    db.errors.append(f"{info.filename}: {exc}")
                    continue
                _add_file(db, info.filename, text)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise DataError(f"{path}: not a readable zip archive ({exc})") from None
    return db


def _saw_unread(db: AdvisoryDB, data: bytes) -> None:
    """A record left unread still dates the data: its ``modified`` counts."""
    days = _MODIFIED.findall(data)
    if days:
        db.saw(max(days).decode("ascii"))


def _date_file(db: AdvisoryDB, path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)  # `modified` is near the top of a record
            _saw_unread(db, head if _MODIFIED.search(head) else head + fh.read(MAX_RECORD_BYTES))
    except OSError:
        return


def _record_files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.lower().endswith(RECORD_SUFFIXES):
                yield Path(dirpath) / name


def _per_package_layout(root: Path) -> bool:
    """True when every sampled sub-directory holds records of the package it is named after."""
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subdirs or any(p.is_file() and p.name.lower().endswith(RECORD_SUFFIXES) for p in root.iterdir()):
        return False
    step = max(1, len(subdirs) // 3)
    for sub in subdirs[::step][:3]:
        first = next(_record_files(sub), None)
        if first is None:
            continue
        try:
            recs = records_in(parse_record_text(read_text(first, MAX_RECORD_BYTES), first.name.lower()))
            adv = advisory(recs[0]) if recs else None
        except DataError:
            return False
        if adv is not None and canonicalize_name(sub.name) not in {n for n, _ in adv.affected}:
            return False
    return True


def load_dir(root: Path, wanted: set[str] | None = None) -> AdvisoryDB:
    db = AdvisoryDB(f"OSV records in {root}", None)
    base = root / "vulns" if (root / "vulns").is_dir() else root
    try:
        selective = wanted is not None and _per_package_layout(base)
    except OSError as exc:
        raise DataError(f"{root}: cannot read: {exc.strerror or exc}") from None
    if selective:
        assert wanted is not None
        dirs = [base / d.name for d in base.iterdir() if d.is_dir() and canonicalize_name(d.name) in wanted]
        files = [f for d in sorted(dirs) for f in _record_files(d)]
        for d in base.iterdir():  # the other packages' records date the data all the same
            if d.is_dir() and canonicalize_name(d.name) not in wanted and not d.name.startswith("."):
                for f in _record_files(d):
                    _date_file(db, f)
    else:
        files = list(_record_files(base))
    for f in files:
        try:
            text = read_text(f, MAX_RECORD_BYTES)
        except DataError as exc:
            db.errors.append(f"{f.relative_to(root).as_posix()}: {exc}, skipped")
            continue
        _add_file(db, f.relative_to(root).as_posix(), text)
    return db


def load(path: Path, wanted: set[str] | None = None) -> AdvisoryDB:
    """Advisories from a directory of records or an OSV ``all.zip``; with ``wanted``
    (package names), records that name none of them may be left unread."""
    if wanted is not None:
        wanted = {canonicalize_name(n) for n in wanted}
    if path.is_dir():
        return load_dir(path, wanted)
    if path.is_file():
        return load_zip(path, wanted)
    raise DataError(f"{path}: no such advisory directory or archive")
