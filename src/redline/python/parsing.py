"""Reading and parsing Python sources: the host ``ast`` first, a fallback parser for
syntax newer than the host interpreter, and a clear reason when neither works."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import warnings
from collections.abc import Callable
from dataclasses import dataclass


class ParseFailure(Exception):
    """The file cannot be analysed; the message is the one-line reason."""


def decode_python(data: bytes) -> str:
    """Decode a Python source per PEP 263 (coding declaration, BOM, else UTF-8)."""
    if b"\x00" in data:
        raise ParseFailure("binary data (NUL bytes) in a source file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "reason", None) or str(exc).split(":")[0]
        raise ParseFailure(f"undecodable bytes ({reason}; not UTF-8 and no valid coding line)") from None
    return text.lstrip("\ufeff")


def parse(source: str, filename: str) -> tuple[ast.Module, str]:
    """Parse with the host interpreter, else the fallback parser.

    Returns the tree and the parser used (``"host"`` or ``"fallback"``).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=filename), "host"
    except SyntaxError as exc:
        host_error = exc
    except (RecursionError, MemoryError):
        raise ParseFailure("too deeply nested or too large to parse") from None
    except ValueError as exc:  # e.g. source containing NUL characters
        raise ParseFailure(str(exc)) from None
    try:
        from redline.python import fallback
    except ImportError:
        fallback = None
    if fallback is not None:
        try:
            return fallback.parse(source, filename), "fallback"
        except SyntaxError:
            pass
        except (RecursionError, MemoryError):
            raise ParseFailure("too deeply nested or too large to parse") from None
    line = f"line {host_error.lineno}: " if host_error.lineno else ""
    raise ParseFailure(f"syntax error: {line}{host_error.msg}")


_NEWLINE = re.compile(r"\r\n|\r|\n")


def source_lines(source: str) -> list[str]:
    """The lines of a source as Python numbers them (``ast`` line numbers index it).

    Unlike ``str.splitlines`` this does not break at form feeds, ``\\x1c``-``\\x1e``,
    ``\\x85``, or U+2028/U+2029, which Python treats as ordinary characters.
    """
    lines = _NEWLINE.split(source)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@dataclass
class NotebookSource:
    source: str
    # Maps a line of ``source`` to (cell number, line within the cell).
    cell_of_line: Callable[[int], tuple[int | None, int]]


def notebook_source(data: bytes) -> NotebookSource:
    """Concatenate a notebook's code cells into one module, remembering where lines came from.

    IPython magics (``%...``, ``!...``) become ``pass`` so that the rest of the cell is
    analysed; a cell that still does not parse is left out (blank lines).
    """
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ParseFailure(f"not a valid notebook ({type(exc).__name__})") from None
    cells = doc.get("cells", []) if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise ParseFailure("not a valid notebook (no list of cells)")
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        src = cell.get("source", "")
        if isinstance(src, list):
            if not all(isinstance(part, str) for part in src):
                raise ParseFailure(f"not a valid notebook (code cell {number}: source is not text)")
            text = "".join(src)
        elif isinstance(src, str):
            text = src
        else:
            raise ParseFailure(f"not a valid notebook (code cell {number}: source is not text)")
        cell_lines = [_demagic(line) for line in source_lines(text)]
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            cell_lines = [""] * len(cell_lines)  # a cell magic: not Python
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse("\n".join(cell_lines))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            cell_lines = [""] * len(cell_lines)
        for i, line in enumerate(cell_lines, start=1):
            lines.append(line)
            origin.append((number, i))

    def cell_of_line(line: int) -> tuple[int | None, int]:
        if 0 < line <= len(origin):
            return origin[line - 1]
        return None, line

    return NotebookSource("\n".join(lines) + "\n", cell_of_line)


def _demagic(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("%", "!")) and not stripped.startswith("%%"):
        return line[: len(line) - len(stripped)] + "pass"
    return line
