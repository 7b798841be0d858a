"""NET004 in configuration files: each fixture under fixtures/network/config holds its
expectations as `# expect: ID` comments (the exact set is required); JSON, which has no
comments, is checked here; and the URL classifier on its own."""

from __future__ import annotations

import json

import pytest

from redline.config import Config
from redline.scan import ScanOptions, run_scan
from redline.text.urls import remote_plain_http, url_name

from conftest import FIXTURES
from fixture_harness import analyse_fixture

CONFIG_FIXTURES = sorted(p for p in (FIXTURES / "network" / "config").iterdir() if p.is_file())


@pytest.mark.parametrize("path", CONFIG_FIXTURES, ids=lambda p: p.name)
def test_config_fixture(path, tmp_path):
    actual, expected, _ = analyse_fixture(path, path.name, tmp_path)
    assert expected, "a config fixture must expect something"
    assert actual == expected, f"missing: {sorted(expected - actual)}\nextra: {sorted(actual - expected)}"


def test_json_endpoints(tmp_path):
    doc = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "llm": {"base_url": "http://llm.partner.io/v1", "docs_url": "http://docs.partner.io"},
        "webhooks": {"url": "http://hooks.partner.io/x", "local_url": "http://127.0.0.1:9000"},
        "name": "http://not-a-url-key.partner.io",
    }
    (tmp_path / "agents.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    result = run_scan([tmp_path], Config(select=("NET004",)), ScanOptions(use_cache=False, jobs=1))
    assert sorted(f.location.line for f in result.findings) == [4, 8]


def test_suppressed_in_config(tmp_path):
    text = "webhook: http://hooks.partner.io/runs  # redline: ignore[NET004] receiver is on the same host\n"
    (tmp_path / "flow.yaml").write_text(text, encoding="utf-8")
    result = run_scan([tmp_path], Config(select=("NET004",)), ScanOptions(use_cache=False, jobs=1))
    assert result.findings == []


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://llm.corp.example.net/v1", "llm.corp.example.net"),
        ("http://10.1.2.3:8000", "10.1.2.3"),
        ("http://localhost:8000", None),
        ("http://127.0.0.1", None),
        ("http://[::1]:8000/x", None),
        ("http://printer.local/", None),
        ("http://ollama:11434", None),
        ("http://www.w3.org/2000/svg", None),
        ("http://{host}/v1", None),
        ("https://api.partner.io", None),
    ],
)
def test_remote_plain_http(url, host):
    assert remote_plain_http(url) == host


def test_url_names():
    assert url_name("openai_base_url") and url_name("WEBHOOK_URL") and url_name("searchEndpoint")
    assert not url_name("homepage_url") and not url_name("description") and not url_name("DOCS_URL")


def test_plain_http_in_tests_is_low(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_client.py").write_text(
        'from openai import OpenAI\n\nclient = OpenAI(base_url="http://mock.partner.io/v1")\n', encoding="utf-8"
    )
    (tmp_path / "tests" / "agents.yaml").write_text("base_url: http://mock.partner.io/v1\n", encoding="utf-8")
    result = run_scan([tmp_path], Config(select=("NET004",)), ScanOptions(use_cache=False, jobs=1))
    assert sorted((f.location.path, f.severity.name) for f in result.findings) == [
        ("tests/agents.yaml", "LOW"),
        ("tests/test_client.py", "LOW"),
    ]
