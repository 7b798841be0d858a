"""Secrets in files that are not Python: each fixture under fixtures/text holds its
expectations as `# expect: ID` comments (the exact set is required); JSON, which has
no comments, is checked here; and no output ever carries a secret in clear."""

from __future__ import annotations

import json

import pytest

from redline.config import Config
from redline.model import Severity
from redline.scan import ScanOptions, run_scan

import cache_store
from conftest import FIXTURES
from fixture_harness import analyse_fixture

TEXT_FIXTURES = sorted(p for p in (FIXTURES / "text").iterdir() if p.is_file())


@pytest.mark.parametrize("path", TEXT_FIXTURES, ids=lambda p: p.name)
def test_text_fixture(path, tmp_path):
    actual, expected, result = analyse_fixture(path, path.name, tmp_path)
    assert expected, "a text fixture must expect something"
    assert not sorted(expected - actual) and not sorted(actual - expected), (
        f"missing: {sorted(expected - actual)}\nextra: {sorted(actual - expected)}"
    )
    source = path.read_text(encoding="utf-8")
    for f in result.findings:
        assert "********" in f.snippet, f.snippet  # the value is masked
        shown = f.snippet.replace("********", "")
        for token in source.split():
            if len(token) > 12 and "FAKE" in token and token in f.snippet:
                pytest.fail(f"{token} shown in clear: {shown}")


def _scan(tmp_path, name: str, text: str, **config):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return run_scan([tmp_path], Config(**config), ScanOptions(use_cache=False, jobs=1))


def test_json_pairs_and_provider_keys(tmp_path):
    doc = {
        "openai": {"api_key": "sk-proj-Hy7FAKEq2Lm9TzW4vR1xN8bK3yPd6sJ0gUaJEe5fQwT"},
        "db": {"password": "Pg-FAKE-2024-secret", "password_env": "DB_PASSWORD"},
        "tokenizer": {"pad_token": "<pad>", "max_tokens": 512, "next_token": "abc123def456"},
        "headers": {"Authorization": "Bearer 7f9c2ba4e88f827d616045507605853e"},
        "placeholders": {"api_key": "", "secret": "${SECRET}", "token": "YOUR_TOKEN_HERE"},
    }
    result = _scan(tmp_path, "settings.json", json.dumps(doc, indent=2))
    got = sorted((f.rule_id, f.location.line, f.severity.name) for f in result.findings)
    assert got == [("CRED001", 3, "CRITICAL"), ("CRED001", 6, "HIGH"), ("CRED001", 15, "HIGH")]
    minified = _scan(tmp_path, "settings.json", json.dumps(doc))
    assert len(minified.findings) == 3 and {f.location.line for f in minified.findings} == {1}


def test_text_findings_in_tests_are_one_severity_lower(tmp_path):
    (tmp_path / "tests").mkdir()
    text = "OPENAI_API_KEY=sk-proj-Hy7FAKEq2Lm9TzW4vR1xN8bK3yPd6sJ0gUaJEe5fQwT\n"
    (tmp_path / "tests" / ".env").write_text(text)
    (tmp_path / ".env").write_text(text)
    result = run_scan([tmp_path], Config(), ScanOptions(use_cache=False, jobs=1))
    severities = {f.location.path: f.severity for f in result.findings}
    assert severities == {".env": Severity.CRITICAL, "tests/.env": Severity.HIGH}


def test_text_suppression_comment(tmp_path):
    text = (
        "# redline: ignore[CRED001] documented test key, revoked\n"
        "OPENAI_API_KEY=sk-proj-Hy7FAKEq2Lm9TzW4vR1xN8bK3yPd6sJ0gUaJEe5fQwT\n"
        "ADMIN_TOKEN=adm-FAKE-7f3e2d1c0b9a  # redline: ignore[AUTH006] wrong rule\n"
    )
    result = _scan(tmp_path, "app.env", text)
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("CRED001", 3)]


def test_binary_and_undecodable_text_files_do_not_fail_the_scan(tmp_path):
    (tmp_path / "blob.json").write_bytes(b"\x00\x01\x02 api_key: sk-proj-" + b"A" * 40)
    (tmp_path / "latin.yaml").write_bytes(b"password: caf\xe9-Secr3t-FAKE\n")
    result = run_scan([tmp_path], Config(), ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped
    assert [(f.location.path, f.rule_id) for f in result.findings] == [("latin.yaml", "CRED001")]


def test_secrets_never_reach_the_cache_or_any_report(tmp_path):
    from redline.report import render_text
    from redline.rules import registry

    rules = {r.id: r for r in registry.all_rules()}

    key = "sk-proj-Hy7FAKEq2Lm9TzW4vR1xN8bK3yPd6sJ0gUaJEe5fQwT"
    password = "Wint3r-FAKE-2024"
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(
        "import requests\n"
        f"OPENAI_API_KEY = {key!r}\n"
        f"r = requests.get('https://api.internal/x', auth=('svc', {password!r}), verify=False)\n"
        f"DB = 'postgresql://svc:{password}@db.internal/app'  # redline: ignore[AUTH006]\n"
        f"# old key: {key}\n"
    )
    (src / "config.yaml").write_text(f"api_key: {key}\npassword: {password}\n")
    cache_dir = tmp_path / "cache"
    result = run_scan([src], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))
    assert result.findings
    outputs = cache_store.texts(cache_dir)
    outputs += [render_text(fmt, result, rules) for fmt in ("terminal", "markdown", "json", "sarif")]
    again = run_scan([src], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))  # from the cache
    outputs += [f.snippet + f.message for f in again.findings]
    for text in outputs:
        assert key not in text and key[8:] not in text
        assert password not in text


def test_cache_entries_of_text_files(tmp_path):
    (tmp_path / "x.env").write_text("API_TOKEN=tok-FAKE-91be2c7a5d\n")
    cache_dir = tmp_path / "c"
    first = run_scan([tmp_path], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))
    second = run_scan([tmp_path], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))
    assert [f.message for f in first.findings] == [f.message for f in second.findings]
    assert len(first.findings) == 1


def test_a_password_that_is_a_word_does_not_mask_the_message(tmp_path):
    """The value is masked in the snippet; the message, written from names, keeps its words."""
    (tmp_path / "graph.py").write_text(
        'def connect(username: str = "default", password: str = "default", secret_key: str = "Zx9-Qw7-Lm3-Rt5"):\n'
        "    return username, password, secret_key\n"
    )
    result = run_scan([tmp_path], Config(select=("CRED001",), fail_on=None), ScanOptions(use_cache=False))
    by_name = {f.message.rsplit("'", 2)[-2]: f for f in result.findings}
    assert by_name["password"].message == "literal credential in default of parameter 'password'"
    assert '"default"' not in by_name["password"].snippet
    assert "Zx9-Qw7-Lm3-Rt5" not in by_name["secret_key"].snippet + by_name["secret_key"].message


def test_public_ingestion_keys_are_low_and_key_blocks_need_key_material(tmp_path):
    text = (
        "POSTHOG_API_KEY=phc_Q7wFAKEz3Lm9TzW4vR1xN8bK3yPd6sJ0gUaJ\n"
        "SENTRY_DSN=https://public:Q7wFAKEz3Lm9@o12345.ingest.sentry.io/678\n"
        "BILLING_API_KEY=Q7wFAKEz3Lm9TzW4vR1xN8bK3yPd6\n"
        'PEM_HEADER="-----BEGIN RSA PRIVATE KEY-----"\n'
        'SIGNING_KEY="-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t"\n'
    )
    result = _scan(tmp_path, "app.env", text)
    got = sorted((f.location.line, f.rule_id, f.severity.name) for f in result.findings)
    assert got == [(1, "CRED001", "LOW"), (2, "AUTH006", "LOW"), (3, "CRED001", "HIGH"), (5, "CRED001", "CRITICAL")]
    assert all(f.evidence for f in result.findings if f.severity is Severity.LOW)
