"""What to move to: the version that clears a pinned dependency of its advisories, and
the lower bound that clears a range (inside the range when one exists)."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from redline.deps.osv import AdvisoryDB, Match
from redline.deps.versions import Affected, parse


def _affecting(db: AdvisoryDB, package: str, matches: list[Match]) -> list[Affected]:
    return db.affecting(package, {n for m in matches for n in (m.id, *m.aliases)})


def _candidates(affected: list[Affected]) -> list[Version]:
    return sorted({f for a in affected for f in a.fixes()})


def upgrade_target(db: AdvisoryDB, package: str, version: str, matches: list[Match]) -> str | None:
    """The lowest fixed version above ``version`` that none of ``matches`` affects."""
    v = parse(version)
    affected = _affecting(db, package, matches)
    for c in _candidates(affected):
        if (v is None or c > v) and not any(a.covers(str(c)) for a in affected):
            return str(c)
    return None


def _clear(affected: list[Affected], spec: SpecifierSet) -> bool:
    return all(a.admitted_by(spec) is None for a in affected)


def range_target(db: AdvisoryDB, package: str, spec: SpecifierSet, matches: list[Match]) -> tuple[str, bool] | None:
    """The lower bound to move a range to: (``">=X"``, True) with X the first fixed
    version inside ``spec`` above which the range admits none of ``matches``; else
    (``">=X"`` or ``">X"``, False), the lowest bound that excludes every one of them;
    None when some advisory has no fix at all."""
    affected = _affecting(db, package, matches)
    candidates = _candidates(affected)
    for c in candidates:
        if spec.contains(c, prereleases=True) and _clear(affected, spec & SpecifierSet(f">={c}")):
            return f">={c}", True
    for c in candidates:
        if _clear(affected, SpecifierSet(f">={c}")):
            return f">={c}", False
    ends = [a.upper() for a in affected]
    if not ends or any(e is None for e in ends):
        return None
    end, inclusive = max(e for e in ends if e is not None)
    return (f">{end}" if inclusive else f">={end}"), False
