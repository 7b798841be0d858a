"""The project index and qualified-name resolution across modules."""

from __future__ import annotations

import textwrap
from pathlib import Path

from redline.config import Config
from redline.scan import ScanOptions, run_scan


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_index_modules_definitions_and_reexports(tmp_path):
    write(tmp_path, "src/agentkit/__init__.py", "from .runner import Runner as PublicRunner\n")
    write(
        tmp_path,
        "src/agentkit/runner.py",
        """
        from agentkit.base import Node

        class Runner(Node):
            def run(self, code):
                def inner():
                    return code
                return inner()

        async def helper():
            pass
        """,
    )
    write(tmp_path, "src/agentkit/base.py", "class Node:\n    pass\n")
    write(tmp_path, "scripts/tool.py", "import agentkit\n")
    result = run_scan([tmp_path], Config(), ScanOptions(use_cache=False))
    index = result.index
    assert set(index.by_module) == {"agentkit", "agentkit.runner", "agentkit.base", "tool"}
    runner = index.by_module["agentkit.runner"]
    assert [d.qualname for d in runner.definitions] == ["Runner", "Runner.run", "Runner.run.inner", "helper"]
    assert runner.definitions[0].bases == ("agentkit.base.Node",)
    module, d = index.definition("agentkit.PublicRunner.run")
    assert module.module == "agentkit.runner" and d.qualname == "Runner.run"
    assert index.definition("agentkit.runner.missing") is None
    assert index.enclosing("src/agentkit/runner.py", 7).qualname == "Runner.run.inner"
    assert index.enclosing("src/agentkit/runner.py", 8).qualname == "Runner.run"
    assert index.enclosing("src/agentkit/runner.py", 1) is None
    # scripts/tool.py is also scripts.tool: its directory is a namespace package
    assert index.roots == {"agentkit", "tool", "scripts"}
    assert index.definition("scripts.tool") is None and "scripts.tool" not in index.by_module


def test_aliases_resolve_to_qualified_names(tmp_path):
    write(
        tmp_path,
        "app.py",
        """
        import yaml as y
        import os.path
        from subprocess import run as r
        import importlib, pickle as pk

        def f(data, cmd):
            y.load(data)
            r(cmd, shell=True)
            pk.loads(data)
        """,
    )
    result = run_scan([tmp_path], Config(), ScanOptions(use_cache=False))
    assert sorted(f.rule_id for f in result.findings) == ["INJ001", "SER001", "SER002"]
    assert all(f.scope == "f" for f in result.findings)
    imports = result.index.by_module["app"].imports
    assert imports == {"y": "yaml", "os": "os", "r": "subprocess.run", "importlib": "importlib", "pk": "pickle"}


def test_fingerprints_survive_moved_code(tmp_path):
    body = "def f(x):\n    return eval(x)\n"
    write(tmp_path, "m.py", body)
    first = run_scan([tmp_path], Config(), ScanOptions(use_cache=False)).findings
    write(tmp_path, "m.py", "import os\n\n\n# a comment\n" + body)
    second = run_scan([tmp_path], Config(), ScanOptions(use_cache=False)).findings
    assert first[0].location.line != second[0].location.line
    assert first[0].fingerprint == second[0].fingerprint
    write(tmp_path, "m.py", body + "def g(x):\n    return eval(x)\n" + "def h(x):\n    return eval(x) or eval(x)\n")
    prints = [f.fingerprint for f in run_scan([tmp_path], Config(), ScanOptions(use_cache=False)).findings]
    assert len(set(prints)) == 4  # same code in another scope, and a second occurrence, differ


def test_a_name_that_is_a_submodule_and_a_variable_does_not_loop(tmp_path):
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/component/__init__.py", "from .component import component\n")
    write(tmp_path, "pkg/component/component.py", "class _Component:\n    def run(self):\n        pass\n\ncomponent = _Component()\n")
    write(tmp_path, "pkg/use.py", "from pkg.component import component\n\ndef f():\n    component.run()\n    component.missing()\n")
    result = run_scan([tmp_path], Config(), ScanOptions(use_cache=False))
    index = result.index
    assert index.definition("pkg.component.component.component.missing") is None
    module, d = index.definition("pkg.component.component.run")
    assert (module.module, d.qualname) == ("pkg.component.component", "_Component.run")
