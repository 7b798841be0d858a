"""``scan --online``: ask the OSV API about the exact versions the project pins.
Only called when the user asks for it; every request has a timeout and a
failure is one line in the report, never the end of the scan."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from redline.knowledge import dependencies as knowledge

MAX_RESPONSE = 20_000_000
BATCH = 500


def _call(url: str, body: dict | None, deadline: float) -> object:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("time limit reached")
    import urllib.request  # only with --online: its import costs every scan 7 ms

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=remaining) as response:  # noqa: S310 - the OSV API URL
        raw = response.read(MAX_RESPONSE + 1)
    if len(raw) > MAX_RESPONSE:
        raise ValueError("response too large")
    return json.loads(raw)


def query(pins: list[tuple[str, str]], timeout: float = 20.0, api: str | None = None) -> tuple[list[dict], str | None]:
    """OSV records for (package, version) pairs, and an error line or None."""
    api = (api or knowledge.source("osv-api")).rstrip("/")
    deadline = time.monotonic() + timeout
    ids: list[str] = []
    try:
        for start in range(0, len(pins), BATCH):
            chunk = pins[start : start + BATCH]
            body = {"queries": [{"package": {"name": n, "ecosystem": "PyPI"}, "version": v} for n, v in chunk]}
            answer = _call(f"{api}/querybatch", body, deadline)
            results = answer.get("results", []) if isinstance(answer, dict) else []
            for result in results:
                for vuln in (result or {}).get("vulns", []) or []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str) and vuln["id"] not in ids:
                        ids.append(vuln["id"])
        records = []
        for vuln_id in ids:
            record = _call(f"{api}/vulns/{quote(vuln_id, safe='')}", None, deadline)
            if isinstance(record, dict):
                records.append(record)
    except (OSError, ValueError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return [], f"OSV API query failed ({' '.join(str(reason).split())[:200]}); offline data only"
    return records, None
