"""Baselines: accept today's findings, report only new ones.

A baseline file (``.redline-baseline.json``) maps each finding's line-independent
identity (rule + path + enclosing scope + normalised code, hashed) to how many
times it occurs. No line numbers are stored, so edits above a finding and code
moved within its file leave it accepted, and two branches that each add an entry
merge without conflicts (one entry per line, sorted by key).

Matching is count-aware: with an entry of count 1, two current copies of that
finding report one as new. Entries with fewer current occurrences than their
count are *stale*: the finding was fixed, moved to another file or scope, or its
code changed; they are listed so the baseline can be regenerated.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from redline import __version__
from redline.model import BaselineSummary, Finding, ScanResult, StaleEntry
from redline.scan import identity

DEFAULT_NAME = ".redline-baseline.json"
FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or has the wrong shape (one line)."""


@dataclass(frozen=True)
class Entry:
    rule_id: str
    path: str
    scope: str
    code: str
    count: int


def _identity(f: Finding, rebase: tuple[str, str] | None) -> tuple[str, str, str, str]:
    """The finding's identity with its path made relative to the baseline's directory
    (``rebase``: scan root, baseline directory), so that a baseline written for the
    repository also serves a scan of a few files in it (pre-commit)."""
    rule_id, path, scope, code = identity(f)
    if rebase is not None:
        root, base = rebase
        path = os.path.relpath(os.path.join(root, path), base).replace(os.sep, "/")
    return rule_id, path, scope, code


def key_of(f: Finding, rebase: tuple[str, str] | None = None) -> str:
    """The baseline key of a finding: a hash of its identity, without the occurrence index."""
    return hashlib.sha256("\0".join(_identity(f, rebase)).encode("utf-8")).hexdigest()[:32]


def _rebase(root: str, baseline_file: Path) -> tuple[str, str]:
    return os.path.abspath(root), os.path.dirname(os.path.abspath(baseline_file))


def build(findings: list[Finding], rebase: tuple[str, str] | None = None) -> dict[str, Entry]:
    counts: Counter[str] = Counter()
    first: dict[str, Finding] = {}
    for f in findings:
        k = key_of(f, rebase)
        counts[k] += 1
        first.setdefault(k, f)
    out = {}
    for k, n in counts.items():
        rule_id, path, scope, code = _identity(first[k], rebase)
        out[k] = Entry(rule_id, path, scope, code, n)
    return out


def render(entries: dict[str, Entry]) -> str:
    """The baseline document: sorted keys, one entry per line group, final newline.

    The normalised code is stored as written by the findings, which already mask
    secrets; it is there for people reviewing the baseline, not for matching.
    """
    doc = {
        "version": FORMAT_VERSION,
        "tool": f"redline {__version__}",
        "findings": {
            k: {"rule": e.rule_id, "path": e.path, "scope": e.scope, "code": e.code, "count": e.count}
            for k, e in sorted(entries.items(), key=lambda kv: (kv[1].path, kv[1].rule_id, kv[0]))
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def write(path: Path, result: ScanResult) -> int:
    """Write the baseline of a scan's findings to ``path`` (paths relative to the
    file's directory); returns the number of entries."""
    entries = build(result.findings, _rebase(result.root, path))
    try:
        path.write_text(render(entries), encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror}") from None
    return len(entries)


def load(path: Path) -> dict[str, Entry]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (create one with `redline baseline create`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {getattr(exc, 'strerror', None) or exc}") from None
    return parse(raw, str(path))


def parse(raw: str, path: str) -> dict[str, Entry]:
    """The entries of a baseline document (``path`` names it in errors)."""
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a baseline file: invalid JSON at line {exc.lineno}") from None
    if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a redline baseline (version {FORMAT_VERSION} expected)")
    items = doc.get("findings")
    if not isinstance(items, dict):
        raise BaselineError(f"{path}: not a redline baseline: 'findings' must be an object")
    out = {}
    for k, v in items.items():
        try:
            count = v["count"]
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise TypeError
            out[str(k)] = Entry(
                str(v.get("rule", "")), str(v.get("path", "")), str(v.get("scope", "")),
                str(v.get("code", "")), count,
            )
        except (TypeError, KeyError, AttributeError):
            raise BaselineError(f"{path}: bad baseline entry {str(k)[:40]!r}: needs a positive 'count'") from None
    return out


def beyond(findings: list[Finding], entries: dict[str, Entry], root: str, file: str) -> tuple[list[Finding], dict[str, int]]:
    """The findings a baseline does not accept, and what is left of each entry's count."""
    budget = {k: e.count for k, e in entries.items()}
    in_file_order = sorted(
        findings, key=lambda f: (f.location.path, f.location.cell or 0, f.location.line, f.location.column)
    )
    new_ids = set()
    rebase = _rebase(root, Path(file))
    for f in in_file_order:
        k = key_of(f, rebase)
        if budget.get(k, 0) > 0:
            budget[k] -= 1
        else:
            new_ids.add(id(f))
    return [f for f in findings if id(f) in new_ids], budget


def apply(result: ScanResult, entries: dict[str, Entry], file: str) -> None:
    """Keep only the findings beyond the baseline, and record what it accepted and
    which entries are stale. Within one identity, the occurrences that come first
    in the file are the accepted ones."""
    kept, budget = beyond(result.findings, entries, result.root, file)
    accepted = len(result.findings) - len(kept)
    root, base = _rebase(result.root, Path(file))

    def in_scope(path: str) -> bool:  # entries of files outside this scan's root are not judged
        full = os.path.normpath(os.path.join(base, path))
        return full == root or full.startswith(root.rstrip(os.sep) + os.sep)

    stale = tuple(
        StaleEntry(e.rule_id, e.path, e.scope, e.code, budget[k])
        for k, e in sorted(entries.items(), key=lambda kv: (kv[1].path, kv[1].rule_id, kv[1].code))
        if budget[k] > 0 and in_scope(e.path)
    )
    result.findings = kept
    result.baseline = BaselineSummary(file=file, accepted=accepted, stale=stale)
