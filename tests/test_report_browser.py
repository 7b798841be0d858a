"""The HTML report in a real browser (headless Chromium through chromedriver).

Scans a project whose file names, code and comments carry HTML and script
payloads, opens the report, and checks that nothing ran, that the counts on
screen equal the JSON report's, and that the filters work under the page's CSP.
Skips when Chromium, chromedriver or selenium is not installed (CI installs them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = _find("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVER = _find("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None, reason="headless Chromium or chromedriver is not installed"
)

PAYLOADS = {
    "<img src=x onerror=window.__pwned=1;alert(1)>.py": "import os\n\ndef f(x):\n    return eval(x)\n",
    "javascript:window.__pwned=2.py": "def g(code):\n    exec(code)\n",
    "app.py": (
        "import requests\n\n"
        "def h(url, x):\n"
        "    eval(x + \"<script>window.__pwned=3</script>\")  # <svg onload=window.__pwned=4>\n"
        "    return requests.get(url)  # nosec <iframe src=javascript:window.__pwned=5>\n"
    ),
    "\"><svg onload=window.__pwned=6>.py": "def broken(:\n",
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("hostile")
    project = root / "proj"
    project.mkdir()
    for name, code in PAYLOADS.items():
        (project / name).write_text(code)
    out_html, out_json = root / "report.html", root / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "redline", "scan", str(project), "--no-cache", "--fail-on", "never",
         "-q", "-o", str(out_html), "-o", str(out_json)],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    return out_html, json.loads(out_json.read_text())


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,2000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    except Exception as exc:  # a broken local browser install is not a failure of redline
        pytest.skip(f"cannot start headless Chromium: {type(exc).__name__}: {str(exc)[:200]}")
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _text(driver, ident: str) -> str:
    return driver.find_element("id", ident).text.strip()


def _visible_rows(driver) -> int:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('tr.finding')).filter(r => !r.hidden).length;"
    )


def test_nothing_from_the_scan_executes(reports, browser):
    page, data = reports
    browser.get(page.as_uri())
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.execute_script("return document.scripts.length") == 1
    handlers = browser.execute_script(
        "return Array.from(document.querySelectorAll('*')).flatMap("
        "e => Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name));"
    )
    assert handlers == []
    hrefs = browser.execute_script(
        "return Array.from(document.querySelectorAll('[href],[src],[action]'))"
        ".map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action'));"
    )
    assert all(h.startswith("https://") for h in hrefs), hrefs
    # The payloads are there, as text a reviewer can read.
    body = browser.find_element("tag name", "body").text
    assert "<img src=x onerror=window.__pwned=1;alert(1)>.py" in body
    assert "javascript:window.__pwned=2.py" in body
    assert "\"><svg onload=window.__pwned=6>.py" in body  # skipped: cannot be parsed
    assert "# nosec <iframe src=javascript:window.__pwned=5>" in body
    assert '<script>window.__pwned=3</script>")  # <svg onload=window.__pwned=4>' in browser.page_source.replace(
        "&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert data["skipped"] and data["foreign_suppressions"]
    # Our own script ran under the CSP (no violation reports in the console).
    logs = [entry["message"] for entry in browser.get_log("browser")]
    assert not [m for m in logs if "Content Security Policy" in m], logs


def test_counts_on_screen_equal_the_json(reports, browser):
    page, data = reports
    browser.get(page.as_uri())
    summary = data["summary"]
    assert summary["total"] >= 4
    assert int(_text(browser, "count-total")) == summary["total"] == len(data["findings"])
    for sev, n in summary["by_severity"].items():
        assert int(_text(browser, f"count-{sev}")) == n, sev
    assert int(_text(browser, "shown-count")) == summary["total"] == _visible_rows(browser)
    assert browser.find_element("id", "verdict").get_attribute("data-verdict") == summary["verdict"]
    chart = browser.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('#area-chart g.bar'))"
        ".map(g => [g.dataset.area, Number(g.dataset.total)]));"
    )
    assert chart == {area: a["total"] for area, a in summary["by_area"].items() if a["total"]}
    assert int(_text(browser, "suppressed-count")) == data["suppressed_count"]


def test_filters_match_the_json(reports, browser):
    page, data = reports
    browser.get(page.as_uri())
    summary = data["summary"]
    boxes = browser.find_elements("css selector", "input[name=severity]")
    for box in boxes:  # only CRITICAL
        if box.get_attribute("value") != "CRITICAL":
            box.click()
    assert int(_text(browser, "shown-count")) == summary["by_severity"]["CRITICAL"] == _visible_rows(browser)
    for box in boxes:
        if not box.is_selected():
            box.click()
    from selenium.webdriver.support.ui import Select

    for area, counts in summary["by_area"].items():
        if counts["total"]:
            Select(browser.find_element("id", "filter-area")).select_by_value(area)
            assert int(_text(browser, "shown-count")) == counts["total"] == _visible_rows(browser), area
    Select(browser.find_element("id", "filter-area")).select_by_value("")
    search = browser.find_element("id", "filter-text")
    search.send_keys("onerror=window")
    expected = sum(1 for f in data["findings"] if "onerror=window" in f["location"]["path"])
    assert expected and _visible_rows(browser) == expected == int(_text(browser, "shown-count"))
    assert browser.execute_script("return typeof window.__pwned") == "undefined"


@pytest.fixture(scope="module")
def advisory_report(tmp_path_factory) -> Path:
    """A dependency finding whose advisory data is hostile: script in summaries and
    ids, a javascript: reference, and more advisories than the message names."""
    root = tmp_path_factory.mktemp("advisories")
    db = root / "db" / "evil-pkg"
    db.mkdir(parents=True)
    for i in range(1, 7):
        record = {
            "id": f"EVIL-{i}",
            "summary": f"<img src=x onerror=window.__pwned={10 + i}> problem {i}",
            "aliases": [f"CVE-2099-{i}<script>window.__pwned=20</script>"],
            "references": [{"type": "ADVISORY", "url": "javascript:window.__pwned=30" if i == 1 else f"https://example.invalid/{i}"}],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "evil-pkg"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"1.{i}"}]}]}],
        }
        (db / f"EVIL-{i}.json").write_text(json.dumps(record))
    project = root / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("evil-pkg==1.0\n")
    out = root / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "redline", "scan", str(project), "--no-cache", "--fail-on", "never",
         "--vuln-db", str(root / "db"), "-q", "-o", str(out)],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def test_advisory_list_is_collapsible_inert_and_searchable(advisory_report, browser):
    browser.get(advisory_report.as_uri())
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    details = browser.find_element("css selector", "tr.finding details.advisories")
    assert details.get_attribute("open") is None
    rows = browser.find_elements("css selector", "tr.advisory")
    assert [r.get_attribute("data-advisory") for r in rows] == [f"EVIL-{i}" for i in range(1, 7)]
    assert not rows[0].is_displayed()  # collapsed until asked for
    details.find_element("tag name", "summary").click()
    assert rows[0].is_displayed() and "6 advisories" in details.text
    assert "<img src=x onerror=window.__pwned=11> problem 1" in rows[0].text
    links = [a.get_attribute("href") for a in details.find_elements("tag name", "a")]
    assert links == [f"https://example.invalid/{i}" for i in range(2, 7)]  # no javascript: link
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    search = browser.find_element("id", "filter-text")
    search.send_keys("EVIL-6")
    assert _visible_rows(browser) == 1
    search.clear()
    search.send_keys("EVIL-7")
    assert _visible_rows(browser) == 0
    browser.save_screenshot(str(advisory_report.with_suffix(".png")))
