"""The sandbox, dynamic-loading and template rules on the framework the checklist was
written for: dynamiq 0.69.0, downloaded with pip at run time (skipped without a network).

The findings asserted here are the release's real weaknesses; the lines it gets right
(the restricted compiler and import hook entries, the sandboxed Jinja2 environment of
the agent's ask prompts, the issubclass-checked hook loader) must stay silent."""

from __future__ import annotations

from collections import defaultdict

import pytest

from redline.config import Config
from redline.model import Severity
from redline.scan import ScanOptions, run_scan

from conftest import FIXTURES

PACKAGE = "dynamiq==0.69.0"
SANDBOX = "dynamiq/nodes/tools/python.py"
LOADER = "dynamiq/serializers/loaders/yaml.py"
SANDBOX_RULES = {f"EXEC{n:03d}" for n in range(3, 11)}  # the sandbox audit


@pytest.fixture(scope="module")
def findings(dynamiq_scan):
    by_path: dict[str, list] = defaultdict(list)
    for f in dynamiq_scan.findings:
        by_path[f.location.path].append(f)
    return by_path


def _at(findings, path: str) -> dict[tuple[int, str], Severity]:
    return {(f.location.line, f.rule_id): f.severity for f in findings[path]}


def test_restricted_python_sandbox_weaknesses_are_reported(findings):
    found = _at(findings, SANDBOX)
    assert found[(22, "EXEC005")] is Severity.HIGH  # ALLOWED_MODULES: io, requests, urllib, pandas, yaml, dynamiq
    assert found[(135, "EXEC006")] is Severity.HIGH  # restricted_import checks name.split(".")[0]
    for line in (217, 225, 232, 233):  # raw object, setattr, type, vars in the builtins
        assert found[(line, "EXEC003")] is Severity.HIGH
    # "getattr": safe_getattr falls through to default_guarded_getattr (the plain getattr)
    # for any name: getattr(getattr((), "__class__"), "__base__").__subclasses__() escapes
    assert found[(205, "EXEC003")] is Severity.HIGH
    for line in (236, 242):  # "_getattr_": default_guarded_getattr, i.e. getattr
        assert found[(line, "EXEC004")] is Severity.HIGH
    assert found[(312, "EXEC004")] is Severity.HIGH  # _write_ = guarded_write returns its argument
    assert found[(254, "EXEC008")] is Severity.MEDIUM  # no time or memory limit
    message = next(f.message for f in findings[SANDBOX] if f.rule_id == "EXEC005")
    for module in ("io", "requests", "urllib", "pandas", "numpy", "yaml", "dynamiq"):
        assert f"{module} (" in message


def test_what_the_sandbox_does_right_is_not_reported(findings):
    found = _at(findings, SANDBOX)
    # "hasattr": safe_hasattr, "__import__": restricted_import, "_getitem_"/"_getiter_" helpers
    assert not {line for line, rule in found if rule in SANDBOX_RULES} & {206, 235, 237, 238, 243}
    assert not [k for k in found if k[1] == "EXEC007"]  # compile_restricted is used
    # the sanctioned exec of compile_restricted output is not a CRITICAL finding
    assert [f for f in findings[SANDBOX] if f.location.line == 254 and f.severity is Severity.CRITICAL] == []
    assert not [k for k in found if k[1] == "EXEC001"]


def test_yaml_loader_resolves_any_type_and_environment(findings):
    found = _at(findings, LOADER)
    # no flow from an attacker is proven here: review items (SER004 has basis="data")
    assert found[(243, "SER004")] is Severity.MEDIUM  # ConnectionManager.get_connection_by_type(entity_type)
    assert found[(249, "SER004")] is Severity.MEDIUM  # NodeManager.get_node_by_type(entity_type)
    assert found[(1187, "SER005")] is Severity.MEDIUM  # OmegaConf.to_container(conf, resolve=True)
    managers = _at(findings, "dynamiq/nodes/managers.py")
    assert managers[(30, "SER004")] is Severity.MEDIUM  # importlib + getattr on any dotted string
    hooks = _at(findings, "dynamiq/nodes/agents/hooks/core.py")
    assert not [k for k in hooks if k[1] == "SER004"]  # issubclass(hook_class, Hook) is checked


def test_prompt_templates_compiled_from_content(findings):
    prompts = _at(findings, "dynamiq/prompts/prompts.py")
    for line in (298, 308, 318):  # message text, image URL and file data rendered as templates
        assert (line, "INJ011") in prompts
    manager = _at(findings, "dynamiq/nodes/agents/prompts/manager.py")
    assert {222, 227} <= {line for line, rule in manager if rule == "INJ011"}
    base = _at(findings, "dynamiq/nodes/agents/base.py")
    assert (2128, "INJ011") not in base  # SandboxedEnvironment().from_string


def test_dynamic_loading_severity_follows_the_evidence(tmp_path):
    """A name read from a document field or a type-named parameter is a MEDIUM review
    item (no flow proven: SER004 has basis="data"); a generic import helper whose
    argument's origin is not visible is LOW."""
    source = (FIXTURES / "dynamic_loading" / "workflow_loader.py").read_text(encoding="utf-8")
    helper = (
        "\n\ndef import_string(import_name):\n"
        "    module_name, _, obj_name = import_name.rpartition('.')\n"
        "    module = importlib.import_module(module_name)\n"
        "    return getattr(module, obj_name)\n"
    )
    path = tmp_path / "loader.py"
    path.write_text(source + helper, encoding="utf-8")
    result = run_scan([path], Config(select=("SER004",), fail_on=None), ScanOptions(use_cache=False))
    severities = {f.location.line: f.severity for f in result.findings}
    lines = source.splitlines()
    registry_line = next(i for i, text in enumerate(lines, 1) if "importlib.import_module(module_name)  # expect:" in text)
    locate_line = next(i for i, text in enumerate(lines, 1) if "pydoc.locate" in text)
    assert severities[registry_line] is Severity.MEDIUM
    assert severities[locate_line] is Severity.MEDIUM
    assert severities[len(lines) + 5] is Severity.LOW
