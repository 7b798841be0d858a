"""Checklist area 10: dependencies (reported by the project-level audit in
redline.deps, not by the per-file AST walk)."""

from __future__ import annotations

from redline.model import Severity
from redline.rules.catalog import rule

REFERENCES = (
    "https://ossf.github.io/osv-schema/",
    "https://github.com/pypa/advisory-database",
    "https://packaging.python.org/en/latest/specifications/version-specifiers/",
)

# The audit rates each finding from its advisories (CVSS vector, else the advisory's own
# rating) or from the project's dependency policy: the rating is the variant's name.
ADVISORY_IMPACTS = {level.name.lower(): level for level in Severity}

DEP001 = rule("DEP001")
DEP002 = rule("DEP002")
DEP003 = rule("DEP003")
DEP004 = rule("DEP004")
