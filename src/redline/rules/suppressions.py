"""Checklist area 10: the review of suppression comments (reported by redline.suppress)."""

from __future__ import annotations

from redline.model import Area, Confidence, Severity
from redline.rules.registry import define

DEP101 = define(
    "DEP101",
    "suppression-without-reason",
    "Suppression comment without a reason",
    area=Area.DEPENDENCIES,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    what="""
A `# redline: ignore[...]` comment with no text after the rule list explaining
why the finding is acceptable.
""",
    why="""
A suppression is a security decision. Without its reason the next reviewer cannot
tell an accepted risk from a silenced alarm, and cannot re-check the assumption
when the code around it changes.
""",
    example="""
    requests.get(HEALTH_URL)  # redline: ignore[NET001]
""",
    use_instead="""
    requests.get(HEALTH_URL)  # redline: ignore[NET001] local sidecar, answers in microseconds
""",
    recommendation="Write after every suppression why the finding is safe to accept.",
)

DEP102 = define(
    "DEP102",
    "unused-suppression",
    "Suppression comment that suppresses nothing",
    area=Area.DEPENDENCIES,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    what="""
A `# redline: ignore[...]` comment on a statement where none of the named rules
reports anything.
""",
    why="""
Stale suppressions outlive the code they were written for; when a real problem is
later introduced on that line it is silenced without anyone deciding so.
""",
    example="""
    total = price * quantity  # redline: ignore[EXEC001] was eval() once
""",
    use_instead="""
    total = price * quantity
""",
    recommendation="Remove suppression comments that no longer suppress a finding.",
)

DEP103 = define(
    "DEP103",
    "unjustified-suppression-of-finding",
    "Suppression comment hides a high-severity finding without a justification",
    area=Area.DEPENDENCIES,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    what="""
A suppression comment (`# nosec`, `# noqa: S...`, `# nosemgrep`,
`# pragma: allowlist secret` or `# redline: ignore[...]`) with no justification on
a line where redline finds a HIGH or CRITICAL problem. Other tools' comments do
not silence redline, but they silence the tool they were written for, so nobody
looked at this line again.
""",
    why="""
An unexplained suppression over a real injection, deserialization or code
execution sink is how serious findings disappear from security reviews: the
scanner that would have reported it was told to be quiet, and no one wrote down
why that was safe.
""",
    example="""
    subprocess.run(command, shell=True)  # nosec B602
""",
    use_instead="""
    subprocess.run(["git", "status"], check=True)  # nosec B603 - fixed argument list, no user input
""",
    recommendation=(
        "Fix the finding the comment hides, or write after the comment why it is safe "
        "(`# nosec B602 - command is a constant`)."
    ),
)
