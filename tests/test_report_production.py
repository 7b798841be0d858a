"""The Markdown report's production-engineering section: production findings by theme,
after the checklist's severity sections (which still list every finding)."""

from __future__ import annotations

from redline.config import Config
from redline.report import markdown
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

from conftest import FIXTURES


def _section(md: str, heading: str) -> list[str]:
    lines = md.splitlines()
    out = []
    for line in lines[lines.index(heading) + 1 :]:
        if line.startswith("#"):
            break
        if line.strip():
            out.append(line)
    return out


def test_production_findings_grouped_by_theme(tmp_path):
    source = (FIXTURES / "production" / "loops_threads.py").read_text(encoding="utf-8")
    (tmp_path / "runner.py").write_text(source, encoding="utf-8")
    result = run_scan([tmp_path], Config(select=("OPS",)), ScanOptions(use_cache=False, jobs=1))
    rules = {r.id: r for r in registry.all_rules()}
    md = markdown.render(result, rules)
    items = _section(md, markdown.PRODUCTION_HEADING)
    themes = [line.split("**")[1] for line in items]
    assert themes == sorted(themes, key=["Resource Management", "Error Handling", "State Management"].index)
    assert {line.rsplit("[", 1)[1].rstrip("]") for line in items} == {"OPS002", "OPS005", "OPS006", "OPS007"}
    assert all(not line.startswith("- [ ]") for line in items)  # listed once as checklist items above
    listed = sum(line.startswith("- [ ] ") for line in md.splitlines())
    assert listed == len(result.findings)


def test_no_production_findings(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    result = run_scan([tmp_path], Config(select=("OPS",)), ScanOptions(use_cache=False, jobs=1))
    md = markdown.render(result, {r.id: r for r in registry.all_rules()})
    assert _section(md, markdown.PRODUCTION_HEADING) == ["- None found."]


def test_terminal_counts_production_findings_by_theme(tmp_path):
    import io

    from rich.console import Console

    from redline.report import terminal

    source = (FIXTURES / "production" / "errors.py").read_text(encoding="utf-8")
    (tmp_path / "api.py").write_text(source, encoding="utf-8")
    result = run_scan([tmp_path], Config(select=("OPS",)), ScanOptions(use_cache=False, jobs=1))
    out = io.StringIO()
    terminal.render(result, {r.id: r for r in registry.all_rules()}, Console(file=out, width=200, color_system=None))
    lines = out.getvalue().splitlines()
    start = lines.index(f"Production engineering ({len(result.findings)})")
    shown = {line.split(" x")[0] for line in lines[start + 1 : start + 3]}
    assert shown == {"  Error Handling: OPS003", "  Error Handling: OPS004"}
