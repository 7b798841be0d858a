"""Checklist area 10: the review of suppression comments (reported by redline.suppress)."""

from __future__ import annotations

from redline.rules.catalog import rule

DEP101 = rule("DEP101")
DEP102 = rule("DEP102")
DEP103 = rule("DEP103")
DEP104 = rule("DEP104")
