"""Themes of the production-engineering findings (resource management, error handling,
state management), in the order the reports show them; the rule ids of each theme are
listed in ``knowledge/web.toml``."""

from __future__ import annotations

from redline.knowledge.web import production_groups

OTHER = "Other"


def theme_order() -> tuple[str, ...]:
    return (*(title for title, _ in production_groups()), OTHER)


def theme_of(rule_id: str) -> str:
    for title, ids in production_groups():
        if rule_id in ids:
            return title
    return OTHER
