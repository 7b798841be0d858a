"""The rule catalog: every rule's metadata, kept as data in ``knowledge/rules/*.toml``.

The one source of truth for what a user sees of a rule (id, title, severity, docs).
Checks, text scanners, the taint engine and the reports all take their ``Rule`` from
here, so none of them needs to import another's module to name a rule.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from redline.knowledge import KnowledgeError, load_toml
from redline.model import Area, Confidence, Rule, RuleDoc, Severity

_REQUIRED = ("id", "name", "title", "area", "severity", "confidence", "basis", "what", "why",
             "recommendation", "example", "use_instead")
_OPTIONAL = ("cwe", "impacts", "profile", "references")
_AREAS = {a.value[0]: a for a in Area}
_PROFILES = ("default", "audit")
_BASES = ("data", "config")


def _enum(where: str, key: str, value: object, members: dict) -> object:
    if value not in members:
        raise KnowledgeError(f"{where}: {key} = {value!r}; expected one of {', '.join(members)}")
    return members[value]


def _rule(where: str, entry: dict) -> Rule:
    unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
    missing = [k for k in _REQUIRED if k not in entry]
    if unknown or missing:
        raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)}, missing keys {missing}")
    levels = {s.name.lower(): s for s in Severity}
    rid = entry["id"]
    where = f"{where} {rid}"
    basis = _enum(where, "basis", entry["basis"], {b: b for b in _BASES})
    profile = _enum(where, "profile", entry.get("profile", "default"), {p: p for p in _PROFILES})
    impacts = {k: _enum(where, f"impacts.{k}", v, levels) for k, v in entry.get("impacts", {}).items()}
    return Rule(
        id=rid,
        name=entry["name"],
        title=entry["title"],
        area=_enum(where, "area", entry["area"], _AREAS),
        severity=_enum(where, "severity", entry["severity"], levels),
        confidence=_enum(where, "confidence", entry["confidence"], {c.name.lower(): c for c in Confidence}),
        cwe=entry.get("cwe"),
        doc=RuleDoc(
            what=entry["what"].strip(),
            why=entry["why"].strip(),
            example=entry["example"],
            use_instead=entry["use_instead"],
            references=tuple(entry.get("references", ())),
        ),
        recommendation=entry["recommendation"].strip(),
        basis=basis,
        variants=tuple(sorted(impacts.items())),
        profile=profile,
    )


@cache
def catalog() -> dict[str, Rule]:
    """Every rule by id, read once and validated: ids and names are unique."""
    found: dict[str, Rule] = {}
    names: set[str] = set()
    files = sorted(f.name for f in resources.files("redline.knowledge").joinpath("rules").iterdir())
    for name in files:
        if not name.endswith(".toml"):
            continue
        where = f"knowledge/rules/{name}"
        for entry in load_toml(f"rules/{name}").get("rule", []):
            r = _rule(where, entry)
            if r.id in found or r.name in names:
                raise KnowledgeError(f"{where}: duplicate rule id or name {r.id} {r.name}")
            found[r.id] = r
            names.add(r.name)
    return dict(sorted(found.items()))


def rule(rule_id: str) -> Rule:
    """The catalog's record of ``rule_id`` (a KeyError names a rule the catalog lacks)."""
    return catalog()[rule_id]


def rules(*rule_ids: str) -> tuple[Rule, ...]:
    return tuple(rule(r) for r in rule_ids)
