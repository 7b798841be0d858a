"""Environment markers judged for the Pythons a project supports: a dependency whose
marker no supported Python (on any platform or implementation in the knowledge file)
satisfies is never installed, so it is not audited.

A marker that reads a variable redline does not vary (``platform_release``,
``platform_version``, ...) could hold somewhere: such a dependency is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import SpecifierSet

from redline.deps.versions import specifier
from redline.knowledge import dependencies as knowledge

_VARIABLE = re.compile(r"\b([a-z_]+)\s*(?:[<>=!~]=?|===?|\bnot\s+in\b|\bin\b)|(?:[<>=!~]=?|===?|\bin\b)\s*([a-z_]+)\b")
_VARIED = frozenset(
    {
        "python_version", "python_full_version", "sys_platform", "platform_system", "os_name",
        "implementation_name", "platform_python_implementation", "extra",
    }
)


def default_requires_python() -> str:
    return knowledge.environments()[1]


@lru_cache(maxsize=256)
def supported_pythons(requires_python: str) -> tuple[str, ...]:
    """The known Python versions (``"3.10"``) that ``requires_python`` admits; every
    known one when it cannot be read."""
    pythons = knowledge.environments()[0]
    spec = specifier(requires_python) or SpecifierSet()
    return tuple(p for p in pythons if any(spec.contains(f"{p}.{patch}", prereleases=True) for patch in (0, 99)))


def _variables(marker: str) -> set[str]:
    return {name for m in _VARIABLE.finditer(marker) for name in m.groups() if name}


@lru_cache(maxsize=4096)
def installed_on(marker: str, requires_python: str, extra: str = "") -> bool:
    """False when no supported Python satisfies ``marker`` (it is never installed)."""
    if not marker.strip():
        return True
    try:
        parsed = Marker(marker)
    except InvalidMarker:
        return True
    if not _variables(str(parsed)) <= _VARIED:
        return True
    pythons = supported_pythons(requires_python)
    if not pythons:
        return True  # a requires-python that admits no known Python: judge nothing
    for python in pythons:
        for patch in ("0", "99"):
            for env in knowledge.environments()[2]:
                environment = {**env, "python_version": python, "python_full_version": f"{python}.{patch}", "extra": extra}
                try:
                    if parsed.evaluate(environment):
                        return True
                except (UndefinedComparison, UndefinedEnvironmentName, ValueError):
                    return True
    return False
