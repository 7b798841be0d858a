"""Checklist area 7: file system."""

from __future__ import annotations

from redline.model import Area, Confidence, Severity
from redline.rules.registry import define

FS001 = define(
    "FS001",
    "path-traversal",
    "File path built from untrusted input (path traversal)",
    area=Area.FILESYSTEM,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=22,
    what="""
A proven flow from an untrusted source into a file system path: `open`, `pathlib`,
`os`/`shutil` operations, `send_file`, archive extraction. Reading is MEDIUM;
writing, deleting or extracting is HIGH.
""",
    why="""
`../` sequences and absolute paths escape the intended directory: configuration and
key files are read, and written files can replace code or cron jobs. Agent file
tools given a model-chosen path are the usual carrier.
""",
    example="""
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/report")
    def report():
        with open("/srv/reports/" + request.args["name"]) as fh:
            return fh.read()
""",
    use_instead="""
    import os
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/report")
    def report():
        with open(os.path.join("/srv/reports", os.path.basename(request.args["name"]))) as fh:
            return fh.read()
""",
    recommendation=(
        "Resolve the path and check it stays under the intended base directory "
        "(Path(base, name).resolve().is_relative_to(base)), or map user choices to server-side names."
    ),
    references=("https://cwe.mitre.org/data/definitions/22.html",),
)
