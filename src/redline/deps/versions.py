"""PEP 440 versions and OSV ``affected`` ranges: which versions an advisory covers.

Range evaluation follows the OSV schema: events sorted by version, ``introduced``
opens a vulnerable interval, ``fixed`` closes it (exclusive), ``last_affected``
closes it (inclusive), ``limit`` caps the range; explicit ``versions`` are
affected whatever the ranges say. A range with an event that is not a PEP 440
version is dropped (its bounds cannot be compared) and the explicit list decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_ZERO = Version("0")


@lru_cache(maxsize=65536)
def parse(text: str) -> Version | None:
    try:
        return Version(text)
    except (InvalidVersion, TypeError):
        return None


def normal(text: str) -> str:
    """The canonical spelling of a version (``1.0.0`` stays, ``1.0RC1`` -> ``1.0rc1``)."""
    v = parse(text)
    return str(v) if v is not None else text.strip()


@dataclass(frozen=True)
class Range:
    # (version, kind) sorted by version; kind: introduced | fixed | last_affected | limit
    events: tuple[tuple[Version, str], ...]

    def covers(self, v: Version) -> bool:
        state = False
        for bound, kind in self.events:
            if kind == "limit":
                if v >= bound:
                    return False
            elif kind == "introduced":
                if v >= bound:
                    state = True
            elif kind == "fixed":
                if v >= bound:
                    state = False
            elif kind == "last_affected" and v > bound:
                state = False
        return state

    def first_fix_after(self, v: Version) -> Version | None:
        fixes = [b for b, kind in self.events if kind == "fixed" and b > v]
        return min(fixes) if fixes else None

    def interval(self, v: Version) -> str:
        """The interval of this range that holds ``v``, as a specifier (``>=2.2, <2.2.3``);
        "" when none does."""
        start: Version | None = None
        for bound, kind in self.events:
            if kind == "introduced":
                if v < bound:
                    break
                if start is None:
                    start = bound
            elif start is not None and kind in ("fixed", "last_affected", "limit"):
                inclusive = kind == "last_affected"
                if v < bound or (inclusive and v == bound):
                    return _interval_text(start, bound, inclusive)
                start = None
        return _interval_text(start, None, False) if start is not None else ""

    def fixes(self) -> list[Version]:
        return [b for b, kind in self.events if kind == "fixed"]

    def upper(self) -> tuple[Version, bool] | None:
        """Where the last interval ends (version, inclusive); None when it stays open."""
        state, end = False, None
        for bound, kind in self.events:
            if kind == "introduced":
                state = True
            elif kind in ("fixed", "limit") and state:
                state, end = False, (bound, False)
            elif kind == "last_affected" and state:
                state, end = False, (bound, True)
        return None if state else end

    def candidates(self) -> list[Version]:
        """Versions worth testing against a specifier: the interval starts and the
        last affected versions."""
        return [b for b, kind in self.events if kind in ("introduced", "last_affected")]


def _interval_text(start: Version, end: Version | None, inclusive: bool) -> str:
    parts = [f">={start}"] if start != _ZERO else []
    if end is not None:
        parts.append(f"{'<=' if inclusive else '<'}{end}")
    return ", ".join(parts) or "every version"


def make_range(events: list) -> Range | None:
    """A Range from OSV ``events`` (a list of one-key tables); None if unreadable."""
    out: list[tuple[Version, str]] = []
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            return None
        ((kind, raw),) = event.items()
        if kind not in ("introduced", "fixed", "last_affected", "limit") or not isinstance(raw, str):
            return None
        if kind == "introduced" and raw.strip() == "0":
            out.append((_ZERO, kind))
            continue
        if kind == "limit" and raw.strip() == "*":
            continue
        v = parse(raw.strip())
        if v is None:
            return None
        out.append((v, kind))
    if not any(kind == "introduced" for _, kind in out):
        return None
    # At equal versions an interval closes before another opens.
    order = {"fixed": 0, "last_affected": 1, "limit": 2, "introduced": 3}
    return Range(tuple(sorted(out, key=lambda e: (e[0], order[e[1]]))))


@dataclass(frozen=True)
class Affected:
    """What one advisory says about one package."""

    ranges: tuple[Range, ...]
    versions: frozenset[str]  # normalised spellings

    def covers(self, version: str) -> bool:
        if normal(version) in self.versions:
            return True
        v = parse(version)
        return v is not None and any(r.covers(v) for r in self.ranges)

    def first_fix(self, version: str) -> str | None:
        v = parse(version)
        if v is None:
            return None
        fixes = [f for r in self.ranges if (f := r.first_fix_after(v)) is not None]
        return str(min(fixes)) if fixes else None

    def interval(self, version: str) -> str:
        """The affected interval holding ``version`` (``>=2.2, <2.2.3``), or
        "listed version" when only the explicit list names it."""
        v = parse(version)
        if v is not None:
            for r in self.ranges:
                text = r.interval(v)
                if text:
                    return text
        return "listed version" if normal(version) in self.versions else ""

    def fixes(self) -> list[Version]:
        """Every ``fixed`` version of the ranges, ascending."""
        return sorted({f for r in self.ranges for f in r.fixes()})

    def upper(self) -> tuple[Version, bool] | None:
        """The end of the last affected interval (version, inclusive): every later
        version is clear of this advisory. None when some interval is open-ended."""
        ends: list[tuple[Version, bool]] = []
        for r in self.ranges:
            end = r.upper()
            if end is None:
                return None
            ends.append(end)
        ends += [(v, True) for v in (parse(t) for t in self.versions) if v is not None]
        return max(ends, default=(_ZERO, False))

    def admitted_by(self, spec: SpecifierSet) -> str | None:
        """An affected version that ``spec`` allows (final releases unless the
        specifier names a pre-release), or None."""
        candidates: list[Version] = []
        for text in self.versions:
            v = parse(text)
            if v is not None:
                candidates.append(v)
        for r in self.ranges:
            candidates.extend(r.candidates())
        for s in spec:
            v = parse(s.version.rstrip(".*"))
            if v is not None and s.operator in (">=", "==", "~=", "==="):
                candidates.append(v)
        pre = bool(spec.prereleases)
        for v in sorted(set(candidates), reverse=True):
            if spec.contains(v, prereleases=pre) and self.covers(str(v)):
                return str(v)
        return None


def specifier(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def exact_pin(spec: SpecifierSet) -> str | None:
    """The version a specifier pins exactly (``==1.2.3``, ``===1.2.3``), or None."""
    items = list(spec)
    if len(items) != 1:
        return None
    (s,) = items
    if s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*")):
        return s.version
    return None
