"""docs/rules/ is generated from the rule metadata and must not go stale."""

from __future__ import annotations

from redline import docs
from redline.cli import main
from redline.rules import registry

from conftest import REPO

RULE_DOCS = REPO / "docs" / "rules"


def test_rule_docs_are_up_to_date():
    problems = docs.stale(RULE_DOCS, registry.all_rules())
    assert not problems, "stale rule docs, run `redline docs` to regenerate: " + ", ".join(problems)


def test_pages_hold_every_section_and_link_to_each_other():
    for rule in registry.all_rules():
        page = docs.rule_page(rule)
        assert page.splitlines()[1] == f"# {rule.id} {rule.name}"
        for heading in ("## What it finds", "## Why it matters", "## Example", "## Use instead", "## Recommendation"):
            assert heading in page, (rule.id, heading)
        assert rule.doc.example.strip().splitlines()[0] in page
        assert f"[{rule.id}]({rule.id}.md)" in docs.index_page(registry.all_rules())


def test_docs_command_writes_checks_and_prunes(tmp_path, capsys):
    target = tmp_path / "rules"
    assert main(["docs", "--check", str(target)]) == 1
    assert "run `redline docs`" in capsys.readouterr().err
    assert main(["docs", str(target)]) == 0
    assert main(["docs", "--check", str(target)]) == 0
    (target / "SER002.md").write_text("edited\n")
    (target / "ZZZ999.md").write_text(docs.rule_page(registry.get("SER002")))  # a removed rule's page
    (target / "notes.md").write_text("hand-written\n")
    assert main(["docs", "--check", str(target)]) == 1
    err = capsys.readouterr().err
    assert "SER002.md (out of date)" in err and "ZZZ999.md (no such rule)" in err
    assert main(["docs", str(target)]) == 0
    assert not (target / "ZZZ999.md").exists() and (target / "notes.md").exists()
    assert (target / "SER002.md").read_text() == docs.rule_page(registry.get("SER002"))
    assert main(["docs", "--check", str(target)]) == 0
