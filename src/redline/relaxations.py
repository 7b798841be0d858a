"""What a change does to silence redline, found in a diff scan (``--diff REF``): DEP104.

redline reads its settings and suppressions from the tree it judges, so a change can
open its own gate: ``fail-on = "never"``, an ignored rule, an excluded directory, a
``# redline: ignore`` or ``# nosec`` beside the code it adds, a baseline entry. Each
such relaxation is a finding with the findings it hides in the changed code, at the
severity of the worst of them (LOW when it hides nothing now).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from redline.config import Config, enabled_rules
from redline.gitdiff import ChangedLines
from redline.model import Finding, ForeignSuppression, ScanResult, Severity
from redline.rules.suppressions import DEP104
from redline.text.findings import line_finding

# Suppression comments that silence a reviewer's tool (other tools' ones silence that
# tool, redline's own silence redline).
_SILENCING = frozenset({"redline", "bandit", "ruff/flake8", "semgrep", "detect-secrets"})


@dataclass
class Relaxation:
    path: str  # relative to the scan root
    line: int
    message: str
    snippet: str = ""  # the relaxation itself (the comment, the changed settings)
    hidden: list[Finding] = field(default_factory=list)
    worst: Severity | None = None  # of the hidden findings


def config_changes(base: Config, head: Config) -> list[str]:
    """What ``head`` relaxes compared with ``base``, in words (empty: nothing)."""
    out: list[str] = []
    if base.fail_on is not None and (head.fail_on is None or head.fail_on > base.fail_on):
        after = head.fail_on.name if head.fail_on is not None else "never"
        out.append(f"fail-on {base.fail_on.name} -> {after}")
    dropped = sorted(enabled_rules(base) - enabled_rules(head))
    if dropped:
        shown = ", ".join(dropped[:6]) + (f" and {len(dropped) - 6} more" if len(dropped) > 6 else "")
        out.append(f"turns off {shown}")
    new_excludes = [e for e in head.exclude if e not in base.exclude]
    if new_excludes:
        out.append("excludes " + ", ".join(new_excludes))
    for rule_id, level in sorted(head.severity.items()):
        before = base.severity.get(rule_id)
        if before is None or level < before:
            out.append(f"sets {rule_id} to {level.name}")
    lost = [m for m in base.active_threat_models() if m not in head.active_threat_models()]
    if lost:
        out.append("drops threat model " + ", ".join(sorted(lost)))
    sandboxes = [s for s in head.sandbox_files if s not in base.sandbox_files]
    if sandboxes:
        out.append("marks as sandbox " + ", ".join(sandboxes))
    if head.max_file_size < base.max_file_size:
        out.append(f"max-file-size {base.max_file_size} -> {head.max_file_size}")
    return out


def _key_line(path: Path, keys: tuple[str, ...]) -> int:
    """The line of the first of ``keys`` in a configuration file (1 when not found)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    for key in keys:
        pattern = re.compile(rf"^\s*\[?\s*{re.escape(key)}\b")
        for number, text in enumerate(lines, 1):
            if pattern.match(text):
                return number
    return 1


def from_config(
    root: str, base: Config, head: Config, hidden: list[Finding], gate_passes: list[Finding], trusted: str | None
) -> Relaxation | None:
    """The change's configuration, compared with the base's; ``hidden``: findings in the
    changed code that the base's settings report and the change's do not; ``gate_passes``:
    findings the change's gate lets through that the base's would stop. ``trusted``: where
    the gate comes from when the change's settings are not used at all."""
    changes = config_changes(base, head)
    if not changes or head.source is None:
        return None
    source = Path(head.source)
    rel = os.path.relpath(source, root).replace(os.sep, "/")
    line = _key_line(source, ("fail-on", "ignore", "select", "exclude", "severity", "profile", "threat-models", "tool.redline"))
    message = f"{source.name} relaxes the review: " + "; ".join(changes)
    snippet = "; ".join(changes)
    if trusted is not None:
        return Relaxation(rel, line, message + f" (not in effect: the gate comes from {trusted})", snippet)
    shown = [*hidden, *(f for f in gate_passes if f not in hidden)]
    return Relaxation(rel, line, message, snippet, shown, max((f.severity for f in shown), default=None))


def _changed(changed: ChangedLines, path: str, line: int) -> bool:
    if path not in changed:
        return False
    lines = changed[path]
    return lines is None or line in lines


def from_suppressions(suppressions: list[ForeignSuppression], changed: ChangedLines) -> list[Relaxation]:
    """Suppression comments on changed lines: new, or rewritten by the change."""
    out = []
    for s in suppressions:
        if s.tool not in _SILENCING or not _changed(changed, s.path, s.line):
            continue
        verb = "suppresses" if s.tool == "redline" else f"silences {s.tool} where redline reports"
        what = ", ".join(s.hides) if s.hides else "nothing now"
        worst = Severity.parse(s.worst) if s.worst else None
        out.append(Relaxation(s.path, s.line, f"new `{s.text}` {verb} {what}", s.text, worst=worst))
    return out


def from_baseline(path: str, hidden: list[Finding]) -> Relaxation | None:
    """Entries the change added to the baseline, with the findings they accept."""
    if not hidden:
        return None
    rules = ", ".join(sorted({f.rule_id for f in hidden}))
    message = f"baseline entries added by the change accept {len(hidden)} finding(s) in the changed code: {rules}"
    return Relaxation(path, 1, message, "baseline entries", hidden, max(f.severity for f in hidden))


def report(result: ScanResult, relaxations: list[Relaxation]) -> None:
    """Add a DEP104 finding for each relaxation to ``result``."""
    from redline.scan import assign_fingerprints

    added = []
    for r in relaxations:
        evidence = (f"variant:hides-{r.worst.name.lower()}",) if r.worst is not None and r.worst > Severity.LOW else ()
        hidden = sorted({f"{f.rule_id} {f.location.path}:{f.location.line}" for f in r.hidden})
        message = r.message + (f"; hides {', '.join(hidden[:8])}" if hidden else "")
        added.append(line_finding(DEP104, r.path, r.line, 0, message, r.snippet, evidence))
    assign_fingerprints(added)
    result.findings.extend(added)
