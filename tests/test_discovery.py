"""Discovery (which files, of what kind), module names and import resolution."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from redline.config import Config
from redline.discovery import ANALYSED_KINDS, PYTHON_KINDS, classify, discover
from redline.python.names import ImportMap, module_name
from redline.scan import ScanOptions, run_scan

NO_SYMLINKS = not hasattr(os, "symlink") or os.name == "nt"


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def found(root: Path, *targets: Path, **kwargs) -> list[str]:
    return [f.rel for f in discover(root, list(targets) or [root], **kwargs).files]


def scan(root: Path, *paths: Path, **config) -> list[str]:
    result = run_scan(list(paths) or [root], Config(**config), ScanOptions(jobs=1, use_cache=False))
    return sorted({f.location.path for f in result.findings})


# -- .gitignore ------------------------------------------------------------------------


def test_gitignore_at_root_and_in_subdirectories(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".gitignore": "# comment\ngenerated/\n*_pb2.py\n/top_only.py\nlogs\n",
            "app.py": "",
            "top_only.py": "",  # anchored: only at the root
            "pkg/top_only.py": "",
            "api_pb2.py": "",
            "pkg/api_pb2.py": "",
            "generated/x.py": "",
            "pkg/generated/y.py": "",  # a directory pattern matches at any depth
            "logs/z.py": "",
            "pkg/.gitignore": "local.py\ncache/\n!keep_pb2.py\n",
            "pkg/local.py": "",
            "pkg/keep_pb2.py": "",  # re-included by the deeper .gitignore
            "pkg/cache/c.py": "",
            "local.py": "",  # pkg/.gitignore does not reach up
            "pkg/sub/.gitignore": "!local.py\n",
            "pkg/sub/local.py": "",  # re-included again one level down
            "pkg/sub/mod.py": "",
        },
    )
    assert found(tmp_path) == [
        "app.py",
        "local.py",
        "pkg/keep_pb2.py",
        "pkg/sub/local.py",
        "pkg/sub/mod.py",
        "pkg/top_only.py",
    ]


def test_negation_in_a_deeper_gitignore_overrides_the_root(tmp_path: Path) -> None:
    """Git: the deepest .gitignore with a matching pattern decides."""
    tree(
        tmp_path,
        {
            ".gitignore": "*.py\n!main.py\n",
            "main.py": "",
            "other.py": "",
            "sub/.gitignore": "!keep.py\n",
            "sub/keep.py": "",
            "sub/drop.py": "",
        },
    )
    assert found(tmp_path) == ["main.py", "sub/keep.py"]


def test_a_file_in_an_ignored_directory_cannot_be_re_included(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "vendor/\n!vendor/keep.py\n", "vendor/keep.py": "", "a.py": ""})
    assert found(tmp_path) == ["a.py"]


def test_root_gitignore_applies_inside_each_named_directory(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".gitignore": "generated/\n*_pb2.py\n",
            "a/m.py": "eval(x)\n",
            "a/generated/g.py": "eval(x)\n",
            "b/n.py": "eval(x)\n",
            "b/n_pb2.py": "eval(x)\n",
        },
    )
    assert scan(tmp_path, tmp_path / "a", tmp_path / "b") == ["a/m.py", "b/n.py"]
    assert scan(tmp_path) == ["a/m.py", "b/n.py"]


def test_a_named_directory_is_scanned_even_when_ignored(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".gitignore": "generated/\n*_pb2.py\n",
            "generated/g.py": "eval(x)\n",
            "generated/g_pb2.py": "eval(x)\n",  # still ignored by the other pattern
            "src/m.py": "eval(x)\n",
        },
    )
    assert scan(tmp_path) == ["src/m.py"]
    assert scan(tmp_path, tmp_path / "generated", tmp_path / "src") == ["generated/g.py", "src/m.py"]


def test_gitignore_can_be_turned_off(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "*.py\n", "a.py": ""})
    assert found(tmp_path) == []
    assert found(tmp_path, use_gitignore=False) == ["a.py"]


# -- configured excludes ---------------------------------------------------------------


def test_configured_exclude_patterns(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "app.py": "eval(x)\n",
            "tests/test_app.py": "eval(x)\n",
            "pkg/tests/test_b.py": "eval(x)\n",
            "migrations/0001.py": "eval(x)\n",
            "pkg/migrations/0002.py": "eval(x)\n",  # anchored pattern: not excluded
            "pkg/api_pb2.py": "eval(x)\n",
            "pkg/core.py": "eval(x)\n",
        },
    )
    exclude = ("tests/", "/migrations/", "*_pb2.py")
    expected = ["app.py", "pkg/core.py", "pkg/migrations/0002.py"]
    assert found(tmp_path, exclude=exclude) == expected
    assert scan(tmp_path, exclude=exclude) == expected
    # Excludes and .gitignore add up.
    (tmp_path / ".gitignore").write_text("core.py\n")
    assert found(tmp_path, exclude=exclude) == ["app.py", "pkg/migrations/0002.py"]


def test_exclude_from_the_command_line_and_config_file(tmp_path: Path) -> None:
    tree(tmp_path, {"a.py": "eval(x)\n", "skip_me/b.py": "eval(x)\n", "c_gen.py": "eval(x)\n"})
    (tmp_path / ".redline.toml").write_text('exclude = ["*_gen.py"]\n')
    proc = subprocess.run(
        [sys.executable, "-m", "redline", "scan", str(tmp_path), "--no-cache", "-f", "json",
         "--exclude", "skip_me/", "--fail-on", "medium"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    paths = {f["location"]["path"] for f in json.loads(proc.stdout)["findings"]}
    assert paths == {"a.py"}


# -- default skips ---------------------------------------------------------------------

SKIPPED_DIRS = [
    ".git/hooks/x.py",
    ".hg/x.py",
    ".venv/lib/x.py",
    "venv/x.py",
    "myenv/lib/python3.11/x.py",  # a virtual environment by its pyvenv.cfg
    "condaenv/lib/x.py",  # a conda environment by its conda-meta/
    "lib/site-packages/x.py",
    "lib/dist-packages/x.py",
    "web/node_modules/pkg/x.py",
    "build/lib/x.py",
    "dist/x.py",
    "pkg/__pycache__/x.py",
    "redline_demo.egg-info/x.py",
    ".tox/py311/x.py",
    ".mypy_cache/x.py",
    ".pytest_cache/x.py",
    ".ipynb_checkpoints/x.py",
]


def test_default_skips(tmp_path: Path) -> None:
    tree(tmp_path, {rel: "eval(x)\n" for rel in SKIPPED_DIRS})
    tree(tmp_path, {"myenv/pyvenv.cfg": "home = /usr/bin\n", "pkg/mod.py": "eval(x)\n"})
    (tmp_path / "condaenv" / "conda-meta").mkdir()
    assert found(tmp_path) == ["pkg/mod.py"]
    assert scan(tmp_path) == ["pkg/mod.py"]


def test_a_default_skip_named_as_the_target_is_scanned(tmp_path: Path) -> None:
    tree(tmp_path, {"build/gen.py": "eval(x)\n", "build/dist/inner.py": "eval(x)\n"})
    assert scan(tmp_path / "build") == ["gen.py"]


# -- kinds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind",
    [
        ("app.py", "python"),
        ("APP.PY", "python"),
        ("analysis.ipynb", "notebook"),
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("dev-requirements.txt", "requirements"),
        ("requirements.in", "requirements"),
        ("constraints.txt", "requirements"),
        ("requires.txt", "requirements"),
        ("notes.txt", None),
        ("poetry.lock", "lockfile"),
        ("uv.lock", "lockfile"),
        ("pdm.lock", "lockfile"),
        ("Pipfile.lock", "lockfile"),
        ("pylock.toml", "lockfile"),
        ("pylock.dev.toml", "lockfile"),
        ("requirements.lock", "lockfile"),
        ("Pipfile", "toml"),
        (".env", "env"),
        (".env.production", "env"),
        (".env.local", "env"),
        ("prod.env", "env"),
        ("Dockerfile", "dockerfile"),
        ("dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("config.yaml", "yaml"),
        ("workflow.yml", "yaml"),
        ("package.json", "json"),
        ("pyproject.toml", "toml"),
        ("tox.ini", "ini"),
        ("setup.cfg", "ini"),
        ("prompt.j2", "jinja"),
        ("prompt.jinja", "jinja"),
        ("prompt.jinja2", "jinja"),
        ("deploy.sh", "shell"),
        ("README.md", "markdown"),
        ("stub.pyi", None),
        ("module.pyc", None),
        ("image.png", None),
        ("Makefile", None),
        (".gitignore", None),
        (".bashrc", None),
    ],
)
def test_classify(name: str, kind: str | None) -> None:
    assert classify(name) == kind


def test_kinds_in_a_tree(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "app.py": "",
            "nb.ipynb": "{}",
            "stub.pyi": "eval(x)\n",
            "requirements.txt": "requests\n",
            ".env.production": "KEY=x\n",
            "Dockerfile": "FROM python\n",
            "tool": "#!/usr/bin/env python3\n",
            "run": "#!/usr/bin/python3 -u\n",
            "deploy": "#!/bin/sh\n",
            "NOTES": "eval(x)\n",
            "data.bin": "",
        },
    )
    kinds = {f.rel: f.kind for f in discover(tmp_path, [tmp_path]).files}
    assert kinds == {
        ".env.production": "env",
        "Dockerfile": "dockerfile",
        "app.py": "python",
        "nb.ipynb": "notebook",
        "requirements.txt": "requirements",
        "run": "python",
        "tool": "python",
    }
    assert {"python", "notebook"} == PYTHON_KINDS
    assert {"yaml", "json", "toml", "env", "markdown", "dockerfile"} <= ANALYSED_KINDS - PYTHON_KINDS


# -- explicit paths --------------------------------------------------------------------


def test_explicit_files_are_scanned_even_when_ignored(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".gitignore": "ignored.py\nsecret_dir/\n",
            "ignored.py": "eval(x)\n",
            "secret_dir/s.py": "eval(x)\n",
            "build/b.py": "eval(x)\n",
            "gen_pb2.py": "eval(x)\n",
            "plain.py": "eval(x)\n",
        },
    )
    assert scan(tmp_path, exclude=("gen_pb2.py",)) == ["plain.py"]
    named = [tmp_path / p for p in ("ignored.py", "secret_dir/s.py", "build/b.py", "gen_pb2.py")]
    assert scan(tmp_path, *named, exclude=("gen_pb2.py",)) == [
        "build/b.py",
        "gen_pb2.py",
        "ignored.py",
        "secret_dir/s.py",
    ]
    # One explicit file: the paths are relative to its directory.
    assert scan(tmp_path / "ignored.py") == ["ignored.py"]


def test_explicit_file_through_the_cli(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "*.py\n", "a.py": "eval(x)\n"})
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "redline", "scan", *a, "--no-cache", "-q", "--fail-on", "medium"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run(str(tmp_path)).returncode == 0  # everything ignored: nothing found
    assert run(str(tmp_path / "a.py")).returncode == 1


@pytest.mark.skipif(NO_SYMLINKS, reason="POSIX symlinks")
def test_paths_through_a_symlinked_directory_stay_relative(tmp_path: Path) -> None:
    real = tree(tmp_path / "real", {"a/m.py": "eval(x)\n", ".gitignore": "gen/\n", "a/gen/g.py": "eval(x)\n"})
    os.symlink(real, tmp_path / "link")
    assert scan(tmp_path / "link") == ["a/m.py"]
    # Scanning a subdirectory: paths relative to it, the same as through the real path.
    assert scan(tmp_path / "link" / "a") == scan(real / "a")
    assert all(not p.startswith("/") for p in scan(tmp_path / "link" / "a"))
    assert scan(tmp_path / "link" / "a" / "m.py") == ["m.py"]


@pytest.mark.skipif(NO_SYMLINKS, reason="POSIX symlinks")
def test_symlinks_inside_the_tree(tmp_path: Path) -> None:
    tree(tmp_path / "root", {"a.py": "eval(x)\n", "sub/b.py": "eval(x)\n"})
    tree(tmp_path / "elsewhere", {"c.py": "eval(x)\n"})
    root = tmp_path / "root"
    os.symlink(root / "sub", root / "sublink")  # a directory link: not walked (no duplicates)
    os.symlink(tmp_path / "elsewhere", root / "out")  # never followed out of the root
    os.symlink("a.py", root / "alias.py")  # a second name for a.py: read once
    os.symlink("sub/b.py", root / "0first.py")  # the first name in walk order wins
    result = discover(root, [root])
    assert [f.rel for f in result.files] == ["0first.py", "a.py"]
    assert result.skipped == []


# -- module names ----------------------------------------------------------------------


def _package_dirs(root: Path) -> frozenset[str]:
    return frozenset(discover(root, [root]).package_dirs)


def test_module_names(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/deep.py": "",
            "flat/__init__.py": "",
            "flat/m.py": "",
            "scripts/tool.py": "",  # no __init__.py: a loose script
            "manage.py": "",
            "bin/runner": "#!/usr/bin/env python\n",
        },
    )
    dirs = _package_dirs(tmp_path)
    assert dirs == {"src/pkg", "src/pkg/sub", "flat"}
    cases = {
        "src/pkg/__init__.py": ("pkg", True),
        "src/pkg/mod.py": ("pkg.mod", False),
        "src/pkg/sub/__init__.py": ("pkg.sub", True),
        "src/pkg/sub/deep.py": ("pkg.sub.deep", False),
        "flat/__init__.py": ("flat", True),
        "flat/m.py": ("flat.m", False),
        "scripts/tool.py": ("tool", False),
        "manage.py": ("manage", False),
        "bin/runner": ("runner", False),
    }
    for rel, expected in cases.items():
        assert module_name(rel, dirs) == expected, rel


def test_module_names_when_the_scan_root_is_a_package(tmp_path: Path) -> None:
    pkg = tree(tmp_path / "pkg", {"__init__.py": "", "mod.py": "", "sub/__init__.py": "", "sub/x.py": ""})
    dirs = _package_dirs(pkg)
    assert module_name("__init__.py", dirs, "pkg") == ("pkg", True)
    assert module_name("mod.py", dirs, "pkg") == ("pkg.mod", False)
    assert module_name("sub/x.py", dirs, "pkg") == ("pkg.sub.x", False)


# -- import resolution -----------------------------------------------------------------


def imports(source: str, module: str, is_package: bool = False) -> ImportMap:
    return ImportMap.build(ast.parse(source), module, is_package)


def test_relative_imports_from_a_module() -> None:
    imap = imports(
        "from . import x\n"
        "from .y import z\n"
        "from ..a import b as c\n"
        "from .. import sibling\n"
        "import a.b as d\n"
        "import e.f\n"
        "import g.h.i\n"
        "from .star import *\n",
        "pkg.sub.mod",
    )
    assert imap.aliases == {
        "x": "pkg.sub.x",
        "z": "pkg.sub.y.z",
        "c": "pkg.a.b",
        "sibling": "pkg.sibling",
        "d": "a.b",
        "e": "e",  # `import e.f` binds e
        "g": "g",
    }
    assert imap.resolve_name("c") == "pkg.a.b"
    assert imap.resolve_name("eval") == "eval"
    assert imap.resolve_name("unknown_name") is None


def test_relative_imports_from_a_package_init() -> None:
    imap = imports("from . import x\nfrom ..a import b as c\nfrom .m import f\n", "pkg.sub", True)
    assert imap.aliases == {"x": "pkg.sub.x", "c": "pkg.a.b", "f": "pkg.sub.m.f"}


def test_function_level_imports_and_builtins() -> None:
    imap = imports(
        "def f():\n    import subprocess as sp\n    from builtins import eval as ev\n"
        "class C:\n    pass\n",
        "app",
    )
    assert imap.resolve_name("sp") == "subprocess"
    assert imap.resolve_name("ev") == "eval"
    assert imap.resolve_name("C") == "app.C"
    assert imap.resolve_name("f") == "app.f"


def test_relative_imports_decide_findings(tmp_path: Path) -> None:
    """A package's own `pickle` module is not the stdlib's; module names + imports agree."""
    tree(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/pickle.py": "def loads(b):\n    return b\n",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/own.py": "from .. import pickle\n\ndef f(b):\n    return pickle.loads(b)\n",
            "src/pkg/sub/std.py": "import pickle\n\ndef f(b):\n    return pickle.loads(b)\n",
            "src/pkg/sub/alias.py": "from ..pickle import loads as l2\nimport pickle as p\n\n"
            "def f(b):\n    return l2(b), p.loads(b)\n",
        },
    )
    result = run_scan([tmp_path], Config(), ScanOptions(jobs=1, use_cache=False))
    ser = sorted((f.location.path, f.location.line) for f in result.findings if f.rule_id == "SER001")
    assert ser == [("src/pkg/sub/alias.py", 5), ("src/pkg/sub/std.py", 4)]
