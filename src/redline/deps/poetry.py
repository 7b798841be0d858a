"""Poetry version constraints (``^1.2``, ``~1.2.3``, ``1.2.*``, ``>=1,<2 || 3.0``)
as PEP 440 specifiers."""

from __future__ import annotations

import re

_OPERATOR = re.compile(r"^(===|==|!=|<=|>=|~=|<|>|\^|~)?\s*(.+)$")


def _bump(parts: list[int], index: int) -> str:
    upper = parts[: index + 1]
    upper[index] += 1
    return ".".join(str(p) for p in upper)


def _numbers(version: str) -> list[int] | None:
    core = re.match(r"^(\d+(?:\.\d+)*)", version)
    return [int(p) for p in core.group(1).split(".")] if core else None


def _one(term: str) -> list[str] | None:
    m = _OPERATOR.match(term.strip())
    if not m:
        return None
    op, version = m.group(1) or "", m.group(2).strip()
    if version == "*":
        return []
    if op == "^":
        nums = _numbers(version)
        if nums is None:
            return None
        first = next((i for i, n in enumerate(nums) if n != 0), len(nums) - 1)
        return [f">={version}", f"<{_bump(nums, first)}"]
    if op == "~":
        nums = _numbers(version)
        if nums is None:
            return None
        index = 1 if len(nums) > 1 else 0
        return [f">={version}", f"<{_bump(nums, index)}"]
    if not op:
        return [f"=={version}"]
    return [f"{op}{version}"]


def to_pep440(constraint: str) -> tuple[str, ...] | None:
    """Alternatives (``||``) each as one PEP 440 specifier; ``("",)`` for any
    version; None when the constraint cannot be read."""
    out = []
    for alternative in re.split(r"\s*\|\|?\s*", constraint.strip()):
        terms = [t for t in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative.strip()) if t]
        spec: list[str] = []
        for term in terms:
            converted = _one(term)
            if converted is None:
                return None
            spec.extend(converted)
        out.append(",".join(spec))
    return tuple(out) or ("",)
