"""Severity from evidence, decided in one place.

A rule knows the *impact* of what it finds (its metadata, or a named variant of it:
``impacts = { write = "high" }`` in the rule catalog, knowledge/rules/*.toml). Checks, text scanners and the taint
engine never choose a severity: they attach *evidence* to a finding, a tuple of tags,
and :func:`decide` turns the rule and the evidence into severity, confidence and the
reasons shown in every report. The configuration's severity override is the rule's
impact in the same function, applied once, last (``scan.apply_policy``).

Evidence tags (``name`` or ``name:detail``):

``flow:KIND``
    a proven path from a source of that kind (``remote``, ``model-output``,
    ``tool-argument``, ``cli``, ``api-parameter``...) in an active threat model.
``config``
    a configuration that is dangerous whatever the data (verification switched off
    unconditionally, a sandbox handing out ``vars``, a live-format secret).
``unknown-data``
    a dangerous primitive on data whose origin is not shown: a review item.
``variant:NAME``
    selects the impact of a named variant of the rule.
``mitigated``, ``validated``, ``opt-in``, ``settings-gated``
    the danger sits behind an explicit opt-in, a validation check, or a setting that
    is off by default: LOW. Not ``validated`` for running code (``variant:code-execution``):
    a check before ``exec`` (a denylist of names or AST nodes, a regular expression) is
    not a sandbox; only isolation, an allowlist evaluator or an explicit opt-in is.
``open-route``
    the source is a request read in an HTTP route that has no authentication: running
    code or commands, unpickling, and writing, deleting or extracting a chosen file from
    there is CRITICAL (anyone who reaches the service does it).
``name-only``
    the path goes through a call resolved by method name alone: LOW.
``object-taint``
    the path enters a project method through its receiver: an object tainted as a
    whole (one field from the source) whose every field then counts as tainted: LOW.
``deep-path``
    the path enters or leaves project functions more than MAX_TRUSTED_HOPS times
    (redline.python.taint): LOW.
    (On judged real code, every finding with one of these three was spurious.)
``test-code``
    in tests, fixtures or examples: one level lower.
``public-key``
    a credential-shaped value that is meant to be public (ingestion keys): LOW.
``sandbox-file``
    in a file configured as a sanctioned sandbox: kept as a review item, with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from redline.model import Confidence, Finding, Rule, Severity


def _threat_models() -> tuple[dict[str, str], tuple[str, ...], frozenset[str]]:
    """knowledge/threat_models.toml: source kind -> model, the models, the default ones."""
    from redline.knowledge import KnowledgeError, load_toml

    data = load_toml("threat_models.toml")
    by_kind: dict[str, str] = {}
    for model, kinds in data["models"].items():
        for kind in kinds:
            if kind in by_kind:
                raise KnowledgeError(f"threat_models.toml: source kind {kind!r} in two models")
            by_kind[kind] = model
    default = frozenset(data["default"]["models"])
    if not default <= set(data["models"]):
        raise KnowledgeError("threat_models.toml: a default model is not defined")
    return by_kind, tuple(data["models"]), default


THREAT_MODELS, ALL_THREAT_MODELS, DEFAULT_THREAT_MODELS = _threat_models()

# Severity a finding from a source outside ``remote`` gets, per category, where it is not
# the usual one level lower: None means the combination is not reported at all.
_NOT_FROM_API = ("ssrf", "open-redirect", "xss", "header-injection", "trust-boundary", "prompt-injection")
LOCAL_SOURCE_POLICY: dict[str, dict[str, Severity | None]] = {
    # helpers that fetch a URL, render a page or check a path they are given are what
    # such functions are for; a library loading the module it is told to is a review item
    "api-parameter": {**dict.fromkeys(_NOT_FROM_API), "path-probe": None, "module-import": Severity.MEDIUM},
    # a CLI checks the paths it is given; `tool --app pkg.module` names a module by design
    "cli": {"path-probe": None, "module-import": Severity.MEDIUM},
    "file": {"module-import": Severity.MEDIUM},
}
REVIEW_CAP = Severity.MEDIUM  # the most a finding without proven data gets
# Variants where a validation check is no mitigation: code that runs is checked by a
# denylist at best, and published bypasses of such checks are the rule.
CHECKS_ARE_NOT_SANDBOXES = frozenset({"code-execution"})
# Variants that anyone reaching an unauthenticated route turns into a compromise. Reading
# a chosen file is not among them: on judged real code, reads reached from open routes
# were mostly limited by the route itself (a path parameter cannot hold "/").
OPEN_ROUTE_CRITICAL = frozenset(
    {"code-execution", "module-import", "command-injection", "deserialization", "path-traversal-write"}
)
_LOWERING = {"mitigated", "validated", "opt-in", "settings-gated", "public-key"}
_WEAK_PATHS = {
    "name-only": "a call on the path is resolved by method name only",
    "deep-path": "a long path through many calls: review whether it is feasible",
    "object-taint": "the path goes through an object tainted as a whole: review which field is used",
}
_LABELS = {
    "mitigated": "behind an explicit opt-in or mitigation",
    "validated": "the value passes a validation check first",
    "opt-in": "dangerous only when an opt-in flag is set",
    "settings-gated": "dangerous only under a setting that is off by default",
    "public-key": "a key meant to be public (ingestion or client-side)",
}


def tags(evidence: Iterable[str]) -> dict[str, str]:
    """Evidence as {name: detail}; a bare tag has detail ""."""
    out: dict[str, str] = {}
    for item in evidence:
        name, _, detail = item.partition(":")
        out.setdefault(name, detail)
    return out


def dropped(evidence: Iterable[str], category: str | None = None) -> bool:
    """Whether a flow finding is not reported at all for its source (LOCAL_SOURCE_POLICY)."""
    kind = tags(evidence).get("flow")
    policy = LOCAL_SOURCE_POLICY.get(kind or "", {})
    return category is not None and category in policy and policy[category] is None


def decide(
    rule: Rule, evidence: Iterable[str], *, override: Severity | None = None
) -> tuple[Severity, Confidence, tuple[str, ...]]:
    """Severity, confidence and reasons of a finding of ``rule`` with this evidence."""
    ev = tags(evidence)
    variant = ev.get("variant")
    impact = override or rule.impacts.get(variant or "", rule.severity)
    reasons: list[str] = []
    if override is not None:
        reasons.append(f"impact {override.name.lower()} set by the configuration")
    confidence = rule.confidence
    basis = "flow" if "flow" in ev else "config" if "config" in ev else "unknown-data" if "unknown-data" in ev else rule.basis
    if basis == "flow":
        kind = ev["flow"]
        model = THREAT_MODELS.get(kind, "remote")
        severity = impact
        confidence = Confidence.HIGH
        if model != "remote":
            local = LOCAL_SOURCE_POLICY.get(kind, {})
            severity = local.get(variant or "") or impact.lower()
            confidence = Confidence.MEDIUM
        reasons.append(f"proven flow from a {model} source ({kind})")
        if "open-route" in ev and model == "remote" and variant in OPEN_ROUTE_CRITICAL and severity < Severity.CRITICAL:
            severity = Severity.CRITICAL
            reasons.append("reached from an HTTP route without authentication")
    elif basis == "config":
        severity = impact
        reasons.append("dangerous whatever the data")
    else:
        severity = min(impact, REVIEW_CAP)
        confidence = min(confidence, Confidence.MEDIUM)
        reasons.append("no attacker-controlled source proven: a review item")
    lowering = [name for name in ev if name in _LOWERING]
    if "validated" in lowering and variant in CHECKS_ARE_NOT_SANDBOXES:
        lowering.remove("validated")
        reasons.append("a check before running code is not a sandbox")
    if lowering:
        severity = Severity.LOW
        reasons.extend(_LABELS[name] for name in lowering)
    weak = [name for name in ("name-only", "deep-path", "object-taint") if name in ev]
    if weak:
        # On judged real code every such path was spurious: a LOW review item.
        severity = Severity.LOW
        confidence = Confidence.LOW
        reasons.extend(_WEAK_PATHS[name] for name in weak)
    if "sandbox-file" in ev:
        severity = min(severity, REVIEW_CAP)
        reasons.append("in a file configured as a sanctioned sandbox")
    if "deep-path" in ev and severity > REVIEW_CAP:
        severity = REVIEW_CAP
        confidence = Confidence.LOW
        reasons.append("a long path through many calls: review whether it is feasible")
    if "object-taint" in ev and severity > REVIEW_CAP:
        severity = REVIEW_CAP
        confidence = Confidence.LOW
        reasons.append("the path goes through an object tainted as a whole: review which field is used")
    if "test-code" in ev:
        severity = severity.lower()
        reasons.append("in test or example code")
    return severity, confidence, tuple(reasons)


def apply(rule: Rule, finding: Finding, override: Severity | None = None) -> None:
    """Set a finding's severity, confidence and reasons from its evidence."""
    finding.severity, finding.confidence, finding.reasons = decide(rule, finding.evidence, override=override)
