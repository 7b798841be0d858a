"""The interprocedural taint analysis across functions, classes and modules."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from redline.config import Config
from redline.report import render_text
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

import cache_store


def project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def scan(root: Path, threat_models: tuple[str, ...] = (), **options):
    return run_scan([root], Config(threat_models=threat_models), ScanOptions(use_cache=False, jobs=1, **options))


def taint_findings(result):
    return sorted((f.rule_id, f"{f.location.path}:{f.location.line}") for f in result.findings if f.taint_path)


WEB = {
    "app/__init__.py": "",
    "app/web.py": """
        from flask import Flask, request
        from app.helpers import evaluate, Job, tidy

        app = Flask(__name__)

        @app.route("/calc")
        def calc():
            return str(evaluate(tidy(request.args["q"])))

        @app.route("/job")
        def job():
            Job(request.args["cmd"]).start()
            return "ok"

        @app.route("/safe")
        def safe():
            return tidy("constant")
        """,
    "app/helpers.py": """
        import os

        def tidy(text):
            return text.strip()

        def evaluate(expression):
            return eval(expression)

        class Job:
            def __init__(self, command):
                self.command = command

            def start(self):
                os.system(self.command)
        """,
}


def test_flows_cross_modules_functions_constructors_and_fields(tmp_path):
    result = scan(project(tmp_path, WEB))
    assert taint_findings(result) == [("EXEC002", "app/helpers.py:8"), ("INJ002", "app/helpers.py:15")]
    by_rule = {f.rule_id: f for f in result.findings}
    steps = [(s.location.path, s.location.line) for s in by_rule["EXEC002"].taint_path]
    assert steps[0] == ("app/web.py", 9) and steps[-1] == ("app/helpers.py", 8)
    assert ("app/helpers.py", 5) in steps  # through tidy()
    assert "EXEC001" not in {f.rule_id for f in result.findings}  # superseded by the proven path
    assert by_rule["EXEC002"].severity.name == "CRITICAL"


def test_a_helper_shared_by_tainted_and_clean_callers_does_not_taint_the_clean_one(tmp_path):
    files = {
        "svc.py": """
            import subprocess
            from flask import Flask, request

            app = Flask(__name__)

            def clean(value):
                return value.strip()

            @app.route("/a")
            def a():
                return clean(request.args["x"])

            def build():
                command = clean("ls -l")
                subprocess.run(command, shell=True)
            """,
    }
    assert taint_findings(scan(project(tmp_path, files))) == []


def test_tool_subclasses_through_the_project_hierarchy(tmp_path):
    files = {
        "tools/__init__.py": "",
        "tools/base.py": """
            from langchain_core.tools import BaseTool

            class ProjectTool(BaseTool):
                pass
            """,
        "tools/shell.py": """
            import subprocess
            from tools.base import ProjectTool

            class Shell(ProjectTool):
                def _run(self, command: str) -> str:
                    return subprocess.run(command, shell=True, capture_output=True, timeout=5).stdout
            """,
    }
    assert taint_findings(scan(project(tmp_path, files))) == [("INJ002", "tools/shell.py:7")]


def test_sanitizers_are_per_category(tmp_path):
    files = {
        "app.py": """
            import shlex
            import subprocess
            from flask import Flask, request

            app = Flask(__name__)

            @app.route("/x")
            def x():
                name = shlex.quote(request.args["name"])
                subprocess.run("ls " + name, shell=True, timeout=5)
                return eval(name)
            """,
    }
    assert taint_findings(scan(project(tmp_path, files))) == [("EXEC002", "app.py:12")]


def test_inline_suppression_covers_taint_findings(tmp_path):
    files = {
        "app.py": """
            from flask import Flask, request

            app = Flask(__name__)

            @app.route("/x")
            def x():
                return eval(request.args["q"])  # redline: ignore[EXEC002] admin-only debug endpoint
            """,
    }
    result = scan(project(tmp_path, files))
    assert [f.rule_id for f in result.findings] == ["EXEC001"]
    assert result.suppressed_count == 1


def test_cached_flows_give_the_same_findings(tmp_path):
    root = project(tmp_path / "p", WEB)
    cold = run_scan([root], Config(), ScanOptions(cache_dir=tmp_path / "c", jobs=1))
    warm = run_scan([root], Config(), ScanOptions(cache_dir=tmp_path / "c", jobs=1))
    assert taint_findings(cold) == taint_findings(warm) != []
    assert [f.taint_path for f in cold.findings] == [f.taint_path for f in warm.findings]


def test_taint_path_in_json_markdown_and_sarif(tmp_path):
    result = scan(project(tmp_path, WEB))
    rules = {r.id: r for r in registry.all_rules()}
    doc = json.loads(render_text("json", result, rules))
    exec_finding = next(f for f in doc["findings"] if f["rule_id"] == "EXEC002")
    assert exec_finding["taint_path"][0]["location"]["path"] == "app/web.py"
    sarif = json.loads(render_text("sarif", result, rules))
    flows = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "EXEC002"][0]["codeFlows"]
    locations = flows[0]["threadFlows"][0]["locations"]
    assert len(locations) == len(exec_finding["taint_path"])
    assert "app/web.py:9" in render_text("markdown", result, rules)


def test_no_taint_rules_selected_means_no_flow_graphs(tmp_path, monkeypatch):
    import redline.analysis

    def refuse(*args, **kwargs):
        raise AssertionError("a flow graph was built although no taint rule is enabled")

    monkeypatch.setattr(redline.analysis, "FlowBuilder", refuse)
    root = project(tmp_path, WEB)
    result = run_scan([root], Config(select=("EXEC001",)), ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped  # a builder call would have skipped the files
    assert [f.rule_id for f in result.findings] == ["EXEC001"]


def test_cache_reuses_taint_results_and_recomputes_after_edits(tmp_path):
    root = project(tmp_path / "p", WEB)
    cache = tmp_path / "c"

    def run():
        return taint_findings(run_scan([root], Config(), ScanOptions(cache_dir=cache, jobs=1)))

    first = run()
    assert run() == first  # memoised: same files, same findings
    cache_store.execute(cache, "UPDATE files SET flows = NULL")  # lost graphs are rebuilt from the sources
    helpers = root / "app" / "helpers.py"
    helpers.write_text(helpers.read_text().replace("return eval(expression)", "return expression"))
    assert run() == [("INJ002", "app/helpers.py:15")]
    assert all(row["flows"] for row in cache_store.rows(cache).values())
    assert run() == [("INJ002", "app/helpers.py:15")]


def test_pattern_findings_follow_the_evidence(tmp_path):
    """EXEC001/INJ001/SER001 go when the data is provably constant or sanitized, stay for
    data the code does not show, and are LOW behind an opt-in flag."""
    files = {
        "app.py": """
            import os
            import pickle
            import subprocess
            import shlex

            SETTING = "1 + 1"

            def constant():
                code = "2 * 21"
                if len(code) > 3:
                    code = SETTING
                return eval(code)

            def quoted(name):
                subprocess.run("ls " + shlex.quote(name), shell=True, timeout=5)

            def stored(redis):
                return pickle.loads(redis.get("session"))

            def from_environment():
                return eval(os.environ["EXPR"])

            class Runner:
                def __init__(self, allow_dangerous_code: bool = False):
                    if not allow_dangerous_code:
                        raise ValueError("pass allow_dangerous_code=True to run model code")

                def run(self, code):
                    exec(code)
            """,
    }
    result = scan(project(tmp_path, files))
    found = sorted((f.rule_id, f.location.line, f.severity.name) for f in result.findings)
    assert found == [
        ("EXEC001", 22, "MEDIUM"),  # the environment is not a remote source: a review item
        ("EXEC001", 30, "LOW"),
        ("SER001", 19, "MEDIUM"),
    ]
    opt_in = next(f for f in result.findings if f.location.line == 30)
    assert "allow_dangerous_code" in opt_in.message


def test_a_validation_call_lowers_a_proven_path_to_low_but_not_before_running_code(tmp_path):
    files = {
        "app.py": """
            from flask import Flask, request

            app = Flask(__name__)

            def validate_expression(text):
                if "__" in text or "import" in text:
                    raise ValueError("rejected")

            @app.route("/calc")
            def calc():
                expression = request.args["q"]
                validate_expression(expression)
                return str(eval(expression))

            @app.route("/raw")
            def raw():
                return str(eval(request.args["q"]))

            @app.route("/file")
            def read():
                name = request.args["name"]
                validate_name(name)
                return open(name).read()
            """,
    }
    result = scan(project(tmp_path, files))
    found = sorted((f.rule_id, f.location.line, f.severity.name) for f in result.findings)
    # a denylist before eval is not a sandbox; the same check before open() is a mitigation
    assert found == [("EXEC002", 14, "CRITICAL"), ("EXEC002", 18, "CRITICAL"), ("FS001", 24, "LOW")]
    checked = next(f for f in result.findings if f.location.line == 14)
    assert "validation check" in checked.message
    assert "a check before running code is not a sandbox" in checked.reasons


def test_opening_a_tainted_path_for_writing_is_more_severe_than_reading(tmp_path):
    root = project(tmp_path, {
        "app.py": """
            from flask import Flask, request
            from flask_login import login_required

            app = Flask(__name__)

            @app.post("/notes")
            @login_required
            def save():
                with open("/srv/notes/" + request.args["name"], "w", encoding="utf-8") as fh:
                    fh.write(request.get_data(as_text=True))
                return "ok"

            @app.get("/notes")
            @login_required
            def show():
                with open("/srv/notes/" + request.args["name"], encoding="utf-8") as fh:
                    return fh.read()
        """,
    })
    found = {f.location.line: f.severity.name for f in scan(root).findings if f.rule_id == "FS001"}
    assert found == {10: "HIGH", 17: "MEDIUM"}


def test_files_reached_from_a_route_without_authentication_are_critical(tmp_path):
    root = project(tmp_path, {
        "app.py": """
            from flask import Flask, request
            from flask_login import login_required

            from storage import notes

            app = Flask(__name__)

            @app.get("/private")
            @login_required
            def private_note():
                return notes.read(request.args["name"])

            @app.get("/open")
            def open_note():
                return notes.read(request.args["name"])

            @app.get("/calc")
            @login_required
            def calc():
                return str(eval(request.args["q"]))
        """,
        "storage/notes.py": """
            def read(name):
                with open("/srv/notes/" + name, "a", encoding="utf-8") as fh:
                    fh.write("read\\n")
                return name
        """,
    })
    found = sorted((f.rule_id, f.location.path, f.severity.name) for f in scan(root).findings if f.rule_id in ("FS001", "EXEC002"))
    # the same sink in another module: CRITICAL from the open route, whichever route comes
    # first (HIGH from the authenticated one alone)
    assert found == [
        ("EXEC002", "app.py", "CRITICAL"),
        ("FS001", "storage/notes.py", "CRITICAL"),
    ]
    reasons = next(f.reasons for f in scan(root).findings if f.rule_id == "FS001")
    assert "reached from an HTTP route without authentication" in reasons


def test_module_import_is_critical_from_a_request_and_a_review_item_from_an_api(tmp_path):
    root = project(tmp_path, {
        "plugins.py": """
            import importlib

            from flask import Flask, request

            app = Flask(__name__)

            @app.post("/plugins")
            def load_plugin():
                return repr(importlib.import_module(request.form["module"]))

            def load_backend(module_name):
                return importlib.import_module(module_name)
        """,
    })
    found = {f.location.line: f.severity.name for f in scan(root).findings if f.rule_id == "EXEC002"}
    assert found == {10: "CRITICAL"}  # a public function's parameter is not a remote source
    widened = scan(root, threat_models=("library",)).findings
    found = {f.location.line: f.severity.name for f in widened if f.rule_id == "EXEC002"}
    assert found == {10: "CRITICAL", 13: "MEDIUM"}


def test_path_evidence_object_taint_and_depth():
    """A path into a project method through its receiver (an object tainted as a whole)
    and a path through many project calls are evidence that caps the finding."""
    from redline.python.taint import MAX_TRUSTED_HOPS, Graph, search

    g = Graph()
    g.sources["src:a"] = ("a.py", {"kind": "remote", "line": 1, "desc": "request"})
    g.sinks["sink:a"] = ("a.py", {"category": "ssrf", "line": 9})
    g.add("src:a", "arg:call:a.py:2:0:2:9:self", ())
    g.add("arg:call:a.py:2:0:2:9:self", "param:pkg.Agent.run:self", (), marker=("call", "call:a.py:2:0:2:9"))
    g.add("param:pkg.Agent.run:self", "sink:a", ())
    assert search(g)["sink:a"][3] == ["object-taint"]

    g = Graph()
    g.sources["src:b"] = ("b.py", {"kind": "remote", "line": 1, "desc": "request"})
    g.sinks["sink:b"] = ("b.py", {"category": "ssrf", "line": 9})
    node = "src:b"
    for i in range(MAX_TRUSTED_HOPS + 1):
        site = f"call:b.py:{i}:0:{i}:5"
        g.add(node, f"arg:{site}:0", ())
        g.add(f"arg:{site}:0", f"param:pkg.f{i}:x", (), marker=("call", site))
        node = f"param:pkg.f{i}:x"
    g.add(node, "sink:b", ())
    assert search(g)["sink:b"][3] == ["deep-path"]


def test_a_source_method_inherited_through_project_classes_in_other_modules(tmp_path):
    root = project(tmp_path, {
        "server/base.py": """
            from tornado import web

            class AppHandler(web.RequestHandler):
                def current_theme(self):
                    return "dark"
        """,
        "server/login.py": """
            from server.base import AppHandler

            class LoginHandler(AppHandler):
                def get(self):
                    target = self.get_argument("next", "/")
                    theme = self.current_theme()
                    self.render_page(target, theme)

                def render_page(self, target, theme):
                    with open("/srv/pages/" + target) as fh:
                        return fh.read() + theme
        """,
    })
    found = [(f.rule_id, f.location.path, f.location.line) for f in scan(root).findings if f.rule_id == "FS001"]
    assert found == [("FS001", "server/login.py", 11)]
    finding = next(f for f in scan(root).findings if f.rule_id == "FS001")
    assert "tornado.web.RequestHandler.get_argument" in finding.taint_path[0].description
