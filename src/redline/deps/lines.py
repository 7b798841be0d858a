"""Line numbers for entries of parsed TOML/JSON/INI files (the parsers give none).

A needle is looked up from the line of its section header onward, then anywhere;
the first line of the file when it cannot be found.
"""

from __future__ import annotations

import re


class LineFinder:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def section(self, header: str) -> int:
        """The 0-based index of a ``[header]`` line (TOML or INI), or 0."""
        pattern = re.compile(r"^\s*\[+\s*" + re.escape(header).replace(r"\.", r"\s*\.\s*") + r"\s*\]+\s*(#.*)?$")
        for i, line in enumerate(self.lines):
            if pattern.match(line):
                return i
        return 0

    def find(self, needle: str, start: int = 0) -> int:
        """The 1-based number of the first line holding ``needle`` at or after ``start``."""
        for i in range(start, len(self.lines)):
            if needle in self.lines[i]:
                return i + 1
        for i in range(0, min(start, len(self.lines))):
            if needle in self.lines[i]:
                return i + 1
        return 1

    def key(self, name: str, start: int = 0) -> int:
        """The line of a ``name =`` (or ``"name":``) key at or after ``start``."""
        pattern = re.compile(r"^\s*[\"']?" + re.escape(name) + r"[\"']?\s*[=:]", re.IGNORECASE)
        for i in range(start, len(self.lines)):
            if pattern.match(self.lines[i]):
                return i + 1
        return self.find(name, start)

    def text(self, number: int) -> str:
        return self.lines[number - 1].strip() if 0 < number <= len(self.lines) else ""
