"""Knowledge of file-system operations (``filesystem.toml``): archive extraction,
uploads, temporary files, permission-setting calls and path-like names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from redline.knowledge import load_toml, string_list


@dataclass(frozen=True)
class ModeArg:
    position: int
    keyword: str


@dataclass(frozen=True)
class FileSystemKnowledge:
    tar: frozenset[str]
    unpack: frozenset[str]
    safe_filters: frozenset[str]
    member_checks: frozenset[str]
    upload_read: frozenset[str]
    upload_save: frozenset[str]
    request_files: frozenset[str]
    validation: frozenset[str]
    mktemp: frozenset[str]
    persistent: frozenset[str]
    removers: frozenset[str]
    shared_dirs: tuple[str, ...]
    path_words: frozenset[str]
    path_calls: frozenset[str]
    sensitive: frozenset[str]
    chmod: dict[str, ModeArg]
    create: dict[str, ModeArg]
    umask: dict[str, ModeArg]


@cache
def filesystem() -> FileSystemKnowledge:
    data = load_toml("filesystem.toml")

    def strings(table: str, key: str) -> frozenset[str]:
        return frozenset(string_list(data.get(table, {}).get(key), f"filesystem.toml: {table}.{key}"))

    def modes(key: str) -> dict[str, ModeArg]:
        out = {}
        for entry in strings("permissions", key):
            name, position, kw = entry.split(":")
            out[name] = ModeArg(int(position), kw)
        return out

    annotations = strings("uploads", "annotations")
    return FileSystemKnowledge(
        tar=strings("archives", "tar"),
        unpack=strings("archives", "unpack"),
        safe_filters=strings("archives", "safe_filters"),
        member_checks=strings("archives", "member_checks"),
        upload_read=strings("uploads", "read"),
        upload_save=frozenset(f"{a}.save" for a in annotations),
        request_files=strings("uploads", "request_files"),
        validation=frozenset(v.lower() for v in strings("uploads", "validation")),
        mktemp=strings("temp", "mktemp"),
        persistent=strings("temp", "persistent"),
        removers=strings("temp", "removers"),
        shared_dirs=tuple(strings("temp", "shared_dirs")),
        path_words=frozenset(w.lower() for w in strings("temp", "path_words")),
        path_calls=strings("temp", "path_calls"),
        sensitive=frozenset(w.lower() for w in strings("sensitive", "words")),
        chmod=modes("chmod"),
        create=modes("create"),
        umask=modes("umask"),
    )
