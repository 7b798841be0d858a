"""Precision on well-reviewed code: pinned releases of popular packages, downloaded with
pip at run time (skipped without a network), scanned once with every rule; each test
holds one group of rules to no HIGH finding (and, where measured, a ceiling on the rest)."""

from __future__ import annotations

import pytest

from redline.config import Config
from redline.model import Severity
from redline.scan import ScanOptions, run_scan

from conftest import pinned_packages

CLEAN = (
    "requests==2.32.3",
    "flask==3.0.3",
    "werkzeug==3.0.6",
    "click==8.1.7",
    "httpx==0.27.2",
    "urllib3==2.2.3",
    "jinja2==3.1.4",
    "sqlalchemy==2.0.36",
)
CREDENTIAL_RULES = ("CRED", "AUTH006", "AUTH007", "AUTH008")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return pinned_packages(tmp_path_factory, *CLEAN)


@pytest.fixture(scope="module")
def clean_findings(corpus):
    """Every rule, once, on the whole corpus; each test below judges its own rules."""
    result = run_scan([corpus], Config(fail_on=None), ScanOptions(use_cache=False))
    assert result.files_scanned > 300
    return result.findings


def _of(findings, rules: tuple[str, ...]):
    return [f for f in findings if f.rule_id.startswith(rules)]


def _high(findings) -> list[str]:
    return [f"{f.rule_id} {f.location.path}:{f.location.line} {f.message}" for f in findings if f.severity >= Severity.HIGH]


def test_no_high_credential_findings_on_clean_packages(clean_findings):
    assert _high(_of(clean_findings, CREDENTIAL_RULES)) == []


SANDBOX_LOADING_TEMPLATE_RULES = (*(f"EXEC{n:03d}" for n in range(3, 11)), "SER004", "SER005", "INJ011")


def test_no_high_sandbox_loading_or_template_findings_on_clean_packages(clean_findings):
    """Import helpers of clean libraries (werkzeug.import_string, flask's app loader) are
    at most MEDIUM review items: nothing shows their names come from a document."""
    found = _of(clean_findings, SANDBOX_LOADING_TEMPLATE_RULES)
    assert _high(found) == []
    assert len(found) <= 10


LLM_AND_VECTOR_RULES = ("LLM002", "LLM003", "LLM004", "LLM005", "VEC")


def test_no_high_llm_or_vector_store_findings_on_clean_packages(clean_findings):
    assert _high(_of(clean_findings, LLM_AND_VECTOR_RULES)) == []


NETWORK_AUTH_PRODUCTION_RULES = (
    "NET001", "NET004", "NET005", "NET006",
    "AUTH009", "AUTH010", "AUTH011", "AUTH012",
    "OPS",
)


def test_no_high_network_auth_or_production_findings_on_clean_packages(clean_findings):
    """Route, JWT, CORS, plain-HTTP and production rules on well-reviewed code: measured
    at 5 LOW findings (4 OPS003 empty excepts, 1 OPS001 lru_cache(maxsize=None)), none HIGH."""
    found = _of(clean_findings, NETWORK_AUTH_PRODUCTION_RULES)
    assert _high(found) == []
    assert len(found) < 20, sorted({f.rule_id for f in found})


WORKFLOW_AND_FILESYSTEM_RULES = ("WF", "FS002", "FS003", "FS004", "FS005", "FS006", "FS007", "FS008")


def test_no_workflow_or_filesystem_findings_on_clean_packages(clean_findings):
    """Workflow-template, archive, upload, temp-file, permission and /tmp rules on
    well-reviewed code: measured at 0 findings of any severity on these 461 files."""
    found = _of(clean_findings, WORKFLOW_AND_FILESYSTEM_RULES)
    assert _high(found) == []
    assert len(found) <= 3, [f"{f.rule_id} {f.location.path}:{f.location.line}" for f in found]
