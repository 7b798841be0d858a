"""CVSS base scores from vector strings (v3.0/v3.1 and v2), for advisory severity.

Only the base metrics are used; a vector that cannot be read gives None, and the
caller falls back to the advisory's own label or to MEDIUM.
"""

from __future__ import annotations

import math

from redline.model import Severity

_V3 = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_V3_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_V2 = {
    "AV": {"L": 0.395, "A": 0.646, "N": 1.0},
    "AC": {"H": 0.35, "M": 0.61, "L": 0.71},
    "Au": {"M": 0.45, "S": 0.56, "N": 0.704},
    "C": {"N": 0.0, "P": 0.275, "C": 0.660},
    "I": {"N": 0.0, "P": 0.275, "C": 0.660},
    "A": {"N": 0.0, "P": 0.275, "C": 0.660},
}


def _metrics(vector: str) -> dict[str, str]:
    out = {}
    for part in vector.strip().split("/"):
        key, sep, value = part.partition(":")
        if sep:
            out[key] = value
    return out


def _roundup(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest number with one decimal >= value."""
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000
    return (math.floor(scaled / 10_000) + 1) / 10.0


def v3_score(vector: str) -> float | None:
    m = _metrics(vector)
    try:
        scope = m["S"]
        iss = 1 - (1 - _V3["C"][m["C"]]) * (1 - _V3["I"][m["I"]]) * (1 - _V3["A"][m["A"]])
        exploit = 8.22 * _V3["AV"][m["AV"]] * _V3["AC"][m["AC"]] * _V3_PR[scope][m["PR"]] * _V3["UI"][m["UI"]]
    except KeyError:
        return None
    impact = 6.42 * iss if scope == "U" else 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    if impact <= 0:
        return 0.0
    if scope == "U":
        return _roundup(min(impact + exploit, 10))
    return _roundup(min(1.08 * (impact + exploit), 10))


def v2_score(vector: str) -> float | None:
    m = _metrics(vector)
    try:
        impact = 10.41 * (1 - (1 - _V2["C"][m["C"]]) * (1 - _V2["I"][m["I"]]) * (1 - _V2["A"][m["A"]]))
        exploit = 20 * _V2["AV"][m["AV"]] * _V2["AC"][m["AC"]] * _V2["Au"][m["Au"]]
    except KeyError:
        return None
    f = 0.0 if impact == 0 else 1.176
    return round((0.6 * impact + 0.4 * exploit - 1.5) * f, 1)


def score(kind: str, vector: str) -> float | None:
    """The base score of an OSV ``severity`` entry (``CVSS_V3``, ``CVSS_V2``); None
    for kinds this module does not compute (``CVSS_V4``) or unreadable vectors."""
    kind = kind.upper()
    if kind == "CVSS_V3" or vector.startswith("CVSS:3."):
        return v3_score(vector)
    if kind == "CVSS_V2":
        return v2_score(vector)
    return None


def severity_of(base: float) -> Severity:
    """The qualitative rating of a base score (0.1-3.9 low ... 9.0-10 critical)."""
    if base >= 9.0:
        return Severity.CRITICAL
    if base >= 7.0:
        return Severity.HIGH
    if base >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW
