"""What a suppression comment says: the checks it silences and its justification.

Pure text handling, shared by the suppression review and the renderers (which must
not import rule modules).
"""

from __future__ import annotations

import re

# What each tool's comment names after its marker: the checks it silences.
_SILENCED = {
    "bandit": re.compile(r"^#\s*nosec\b:?\s*((?:\[?[A-Z]\d{3}\]?(?:\s*,\s*|\s+|$))*)", re.IGNORECASE),
    "semgrep": re.compile(r"^#\s*nosemgrep\b(?:\s*:\s*([\w.\-/]+(?:\s*,\s*[\w.\-/]+)*))?", re.IGNORECASE),
    "ruff/flake8": re.compile(r"^#\s*noqa\b(?:\s*:\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*))?", re.IGNORECASE),
    "detect-secrets": re.compile(r"^#\s*pragma\s*:\s*allowlist[ -]secret\b()", re.IGNORECASE),
    "redline": re.compile(r"^#\s*redline\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE),
}
_JUNK = " \t-:;,.()[]#\u2013\u2014"


def describe(tool: str, text: str) -> tuple[str, str]:
    """(what the comment silences, its justification) for the suppression review."""
    pattern = _SILENCED.get(tool)
    m = pattern.match(text.strip()) if pattern else None
    if m is None:
        return "everything", text.strip().lstrip("#").strip()
    named = ", ".join(x.strip(" []") for x in re.split(r"[\s,]+", m.group(1) or "") if x.strip(" []"))
    if tool == "detect-secrets":
        named = "secret detection"
    rest = text.strip()[m.end():].strip(_JUNK)
    return named or "everything", rest
