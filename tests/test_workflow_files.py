"""Workflow definitions, CI workflows and Jinja templates (WF001, WF002): each fixture
under fixtures/workflow_files holds its expectations as comments (`# expect: ID` in YAML
and shell, `// expect: ID` in scripts, `{# expect: ID #}` in Jinja); the exact set of
(line, rule) pairs is required, across all rules. JSON has no comments: its expectations
are listed here. The scanner never loads YAML, so bombs and broken files cost one pass."""

from __future__ import annotations

import json
import re
import time

import pytest

from redline.config import Config
from redline.model import Severity
from redline.scan import ScanOptions, run_scan
from redline.text.workflows import scan_workflows

from conftest import FIXTURES

DIR = FIXTURES / "workflow_files"
EXPECT = re.compile(r"(?:#|//|\{#)\s*expect:\s*([A-Z0-9_, ]+?)\s*(?:#\})?\s*$")
COMMENTED = sorted(p for p in DIR.iterdir() if p.is_file() and p.suffix != ".json")
JSON_EXPECTED = {"pipeline.json": {(6, "WF002"), (12, "WF001"), (22, "WF001")}}
ALL = frozenset({"WF001", "WF002"})


def _expectations(text: str) -> tuple[str, set[tuple[int, str]]]:
    expected, lines = set(), []
    for number, line in enumerate(text.splitlines(), start=1):
        m = EXPECT.search(line)
        if m:
            expected |= {(number, rule.strip()) for rule in m.group(1).split(",") if rule.strip()}
            line = line[: m.start()].rstrip()
        lines.append(line)
    return "\n".join(lines) + "\n", expected


def _scan_file(tmp_path, name: str, text: str):
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_scan([tmp_path / name], Config(fail_on=None), ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped
    return result


@pytest.mark.parametrize("path", COMMENTED, ids=lambda p: p.name)
def test_commented_fixture(path, tmp_path):
    text, expected = _expectations(path.read_text(encoding="utf-8"))
    result = _scan_file(tmp_path, path.name, text)
    actual = {(f.location.line, f.rule_id) for f in result.findings}
    assert not sorted(expected - actual) and not sorted(actual - expected), (
        f"missing: {sorted(expected - actual)}\nextra: {sorted(actual - expected)}"
    )


def test_json_fixture(tmp_path):
    path = DIR / "pipeline.json"
    result = _scan_file(tmp_path, path.name, path.read_text(encoding="utf-8"))
    assert {(f.location.line, f.rule_id) for f in result.findings} == JSON_EXPECTED[path.name]


def test_every_fixture_holds_safe_lines():
    for path in COMMENTED:
        lines = path.read_text(encoding="utf-8").splitlines()
        flagged = sum(bool(EXPECT.search(line)) for line in lines)
        assert len(lines) - flagged > flagged, path


def _findings(text: str, name: str = "flow.yaml", kind: str = "yaml"):
    return {f.location.line: f for f in scan_workflows(name, text, kind, ALL)}


def test_severity_follows_where_the_value_comes_from():
    text = (
        "steps:\n"
        "  - run: echo {{ inputs.query }}\n"
        "  - run: echo {{ nodes.llm.output }}\n"
        "  - run: echo {{ report_format }}\n"
        "  - run: echo {{ secrets.TOKEN }} {{ matrix.os }}\n"
        "  - run: echo {{ inputs.query | quote }}\n"
    )
    found = _findings(text)
    assert found[2].severity == Severity.CRITICAL and "workflow input" in found[2].message
    assert found[3].severity == Severity.CRITICAL and "upstream node output" in found[3].message
    assert found[4].severity == Severity.MEDIUM
    assert 5 not in found and 6 not in found


def test_github_contexts():
    text = (
        "on: [pull_request_target]\n"
        "jobs:\n"
        "  build:\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.head.ref }}\n"
        "      - run: echo ${{ github.event.pull_request.head.sha }}\n"
        "      - run: echo ${{ inputs.target }}\n"
        "      - run: echo ${{ needs.plan.outputs.tag }}\n"
        "      - run: if [ \"${{ needs.tests.result }}\" = failure ]; then exit 1; fi\n"
        "      - run: uv run pip-audit \"${audit_args[@]}\" {{ not.a.template }}\n"
        "      - uses: actions/github-script@v7\n"
        "        with:\n"
        "          script: core.info(`PR #${pr.number} by ${pr.user.login}`)\n"
    )
    found = _findings(text, "ci.yml")
    assert found[5].severity == Severity.CRITICAL
    assert 6 not in found
    assert found[7].severity == Severity.MEDIUM
    assert found[8].severity == Severity.LOW
    assert sorted(found) == [5, 7, 8]


def test_node_types_are_reported_once_and_only_under_nodes():
    text = (
        "inputs:\n"
        "  query:\n"
        "    type: app.schema.Query\n"
        "nodes:\n"
        "  - id: a\n"
        "    type: app.nodes.SearchNode\n"
        "  - id: b\n"
        "    type: app.nodes.LLMNode\n"
        "  - id: c\n"
        "    type: llm\n"
    )
    found = _findings(text)
    assert list(found) == [6]
    assert "2 nodes" in found[6].message


def test_shell_variables_are_not_template_variables():
    text = "steps:\n  - run: echo ${HOME} ${CI_COMMIT_REF} $PATH\n  - run: echo ${inputs.name}\n"
    assert list(_findings(text)) == [3]


def test_yaml_bomb_huge_and_broken_files_cost_one_pass(tmp_path):
    bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    bomb += "".join(f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    bomb += "nodes:\n  - run: echo {{ inputs.x }}\n"
    broken = "nodes:\n  - run: echo \"{{ inputs.x }}\n\t- : :\n  \"\n" + "{{" * 5000 + "\n" + "- " * 3000 + "\n"
    huge = "nodes:\n" + "  - id: n\n    run: echo {{ nodes.prev.output }}\n" * 60_000
    start = time.perf_counter()
    assert list(_findings(bomb)) == [11]
    assert 2 in _findings(broken)
    assert len(_findings(huge)) == 60_000
    assert _findings("x" * 5_000_000) == {}
    assert _findings("\x00\xff{{", "bad.json", "json") == {}
    assert _findings("[" * 100_000 + "]" * 100_000, "deep.json", "json") == {}
    assert time.perf_counter() - start < 20
    (tmp_path / "bomb.yaml").write_text(bomb, encoding="utf-8")
    (tmp_path / "broken.yml").write_text(broken, encoding="utf-8")
    (tmp_path / "bad.json").write_bytes(b"{\"command\": \"\xff\xfe {{ inputs.x }}\"")
    result = run_scan([tmp_path], Config(fail_on=None), ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped
    assert {f.location.path for f in result.findings if f.rule_id == "WF001"} == {"bomb.yaml", "broken.yml"}


def test_json_minified_and_pretty_agree():
    doc = {"nodes": [{"id": "x", "type": "shell", "command": "ls {{ inputs.dir }}"}]}
    pretty = _findings(json.dumps(doc, indent=2), "flow.json", "json")
    flat = _findings(json.dumps(doc), "flow.json", "json")
    assert [f.rule_id for f in pretty.values()] == ["WF001"] == [f.rule_id for f in flat.values()]


def test_suppression_comment(tmp_path):
    text = "nodes:\n  - run: echo {{ inputs.q }}  # redline: ignore[WF001] input is an enum checked upstream\n"
    result = _scan_file(tmp_path, "flow.yaml", text)
    assert [f for f in result.findings if f.rule_id == "WF001"] == []


def test_framework_node_types_are_the_framework_format():
    text = "nodes:\n  - id: llm\n    type: dynamiq.nodes.llms.OpenAI\n  - id: t\n    _target_: torch.optim.Adam\n"
    assert _findings(text) == {}


def test_bare_roots_are_whole_names():
    text = "steps:\n  - run: echo {{ query }}\n  - run: echo {{ query_limit }}\n  - run: echo {{ item }} {{ items_dir }}\n"
    found = _findings(text)
    assert found[2].severity == Severity.CRITICAL
    assert found[3].severity == Severity.MEDIUM
    assert found[4].severity == Severity.MEDIUM and "items_dir" in found[4].message


# -- the Python side: severities and messages of WF003/WF004 and the FS rules --------------


def _scan_python(tmp_path, source: str, select: tuple[str, ...]):
    (tmp_path / "engine.py").write_text(source, encoding="utf-8")
    result = run_scan([tmp_path / "engine.py"], Config(select=select, fail_on=None), ScanOptions(use_cache=False, jobs=1))
    return {(f.location.line, f.rule_id): f for f in result.findings}


def test_rendered_shell_severity_follows_the_template(tmp_path):
    source = (
        "import subprocess\n"
        "from jinja2 import Environment, Template\n"
        "env = Environment()\n"
        "def from_definition(step, ctx):\n"
        "    command = Template(step['command']).render(**ctx)\n"
        "    subprocess.run(command, shell=True)\n"
        "def from_file(ctx):\n"
        "    command = env.get_template('step.sh.j2').render(**ctx)\n"
        "    subprocess.run(command, shell=True)\n"
    )
    found = _scan_python(tmp_path, source, ("WF003",))
    assert found[(6, "WF003")].severity == Severity.CRITICAL
    assert "at line 5" in found[(6, "WF003")].message
    assert found[(9, "WF003")].severity == Severity.HIGH


def test_expression_eval_reported_where_the_field_is_read(tmp_path):
    source = (
        "def check(node, ctx):\n"
        "    when = node.get('when')\n"
        "    return eval(when, {}, ctx)\n"
        "def inline(node, ctx):\n"
        "    return eval(node['expression'], {}, ctx)\n"
    )
    with_exec = _scan_python(tmp_path, source, ("WF004", "EXEC001"))
    assert {key for key in with_exec if key[1] == "WF004"} == {(2, "WF004")}
    alone = _scan_python(tmp_path, source, ("WF004",))
    assert set(alone) == {(2, "WF004"), (5, "WF004")}  # without EXEC001 the inline read is reported too


def test_filesystem_severities(tmp_path):
    source = (
        "import os, tarfile, tempfile\n"
        "def a(p):\n"
        "    os.chmod(p, 0o666)\n"
        "    os.makedirs(p, mode=0o777)\n"
        "    old = os.umask(0)\n"
        "    os.umask(old)\n"
        "def b(p):\n"
        "    with tarfile.open(p) as tar:\n"
        "        tar.extractall('/srv/data', filter='fully_trusted')\n"
    )
    found = _scan_python(tmp_path, source, ("FS002", "FS006"))
    assert found[(3, "FS006")].severity == Severity.HIGH
    assert found[(4, "FS006")].severity == Severity.LOW
    assert (5, "FS006") not in found  # reading the mask and restoring it
    assert found[(9, "FS002")].severity == Severity.MEDIUM and "fully_trusted" in found[(9, "FS002")].message


def test_gitlab_component_inputs():
    text = (
        "spec:\n  inputs:\n    target:\n      default: prod\n---\n"
        "deploy:\n  script:\n    - ./deploy.sh $[[ inputs.target ]]\n    - echo $CI_COMMIT_SHA\n"
    )
    found = _findings(text, ".gitlab-ci.yml")
    assert list(found) == [8] and found[8].severity == Severity.CRITICAL
