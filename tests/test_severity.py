"""The severity policy: one decide(rule, evidence) for every finding."""

from __future__ import annotations

from redline.knowledge.taint import SOURCE_KINDS
from redline.model import Area, Confidence, Rule, RuleDoc, Severity
from redline.severity import ALL_THREAT_MODELS, DEFAULT_THREAT_MODELS, THREAT_MODELS, decide


def _rule(basis: str, severity: Severity = Severity.CRITICAL, impacts=None) -> Rule:
    """A rule made for the test, not registered (the registry is every real rule)."""
    return Rule(
        id="TST001", name="test-rule", title="test rule", area=Area.CODE_EXECUTION, severity=severity,
        confidence=Confidence.HIGH, cwe=None, doc=RuleDoc("w", "w", "x", "y"), recommendation="r",
        basis=basis, variants=tuple(sorted((impacts or {}).items())),
    )


def test_every_source_kind_has_one_threat_model():
    assert set(SOURCE_KINDS) | {"api-parameter"} <= set(THREAT_MODELS)
    assert set(THREAT_MODELS.values()) == set(ALL_THREAT_MODELS)
    assert {"remote"} == DEFAULT_THREAT_MODELS


def test_a_proven_remote_flow_gets_the_impact_and_others_one_level_lower():
    rule = _rule("data")
    assert decide(rule, ["flow:remote"])[:2] == (Severity.CRITICAL, Confidence.HIGH)
    assert decide(rule, ["flow:tool-argument"])[0] is Severity.CRITICAL
    assert decide(rule, ["flow:cli"])[:2] == (Severity.HIGH, Confidence.MEDIUM)
    assert decide(rule, ["flow:api-parameter"])[0] is Severity.HIGH


def test_unknown_data_is_a_review_item_and_configuration_keeps_the_impact():
    data, config = _rule("data"), _rule("config")
    severity, confidence, reasons = decide(data, [])
    assert severity is Severity.MEDIUM and confidence is Confidence.MEDIUM
    assert reasons == ("no attacker-controlled source proven: a review item",)
    assert decide(config, [])[0] is Severity.CRITICAL
    assert decide(data, ["config"])[0] is Severity.CRITICAL


def test_variants_choose_the_impact():
    rule = _rule("config", Severity.MEDIUM, {"write": Severity.HIGH, "probe": Severity.LOW})
    assert decide(rule, ["variant:write"])[0] is Severity.HIGH
    assert decide(rule, ["variant:probe"])[0] is Severity.LOW
    assert decide(rule, ["variant:unknown-name"])[0] is Severity.MEDIUM


def test_lowering_evidence():
    rule = _rule("data")
    for tag in ("mitigated", "validated", "opt-in", "settings-gated", "public-key"):
        assert decide(rule, ["flow:remote", tag])[0] is Severity.LOW, tag
    for tag in ("name-only", "deep-path", "object-taint"):
        severity, confidence, _ = decide(rule, ["flow:remote", tag])
        assert (severity, confidence) == (Severity.LOW, Confidence.LOW), tag
    assert decide(rule, ["flow:remote", "test-code"])[0] is Severity.HIGH
    assert decide(rule, ["sandbox-file"])[0] is Severity.MEDIUM


def test_the_configured_override_replaces_the_impact_and_the_evidence_still_applies():
    rule = _rule("data", Severity.HIGH)
    severity, _, reasons = decide(rule, ["flow:remote"], override=Severity.CRITICAL)
    assert severity is Severity.CRITICAL and "impact critical set by the configuration" in reasons
    assert decide(rule, ["flow:remote", "mitigated"], override=Severity.CRITICAL)[0] is Severity.LOW
    assert decide(rule, [], override=Severity.LOW)[0] is Severity.LOW
