"""Checklist area 10: dependencies (reported by the project-level audit in
redline.deps, not by the per-file AST walk)."""

from __future__ import annotations

from redline.model import Area, Confidence, Severity
from redline.rules.registry import define

REFERENCES = (
    "https://ossf.github.io/osv-schema/",
    "https://github.com/pypa/advisory-database",
    "https://packaging.python.org/en/latest/specifications/version-specifiers/",
)

# The audit rates each finding from its advisories (CVSS vector, else the advisory's own
# rating) or from the project's dependency policy: the rating is the variant's name.
ADVISORY_IMPACTS = {level.name.lower(): level for level in Severity}

DEP001 = define(
    "DEP001",
    "vulnerable-dependency",
    "Dependency pinned to a version with known vulnerabilities",
    area=Area.DEPENDENCIES,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=1395,
    impacts=ADVISORY_IMPACTS,
    what="""
A requirements line, lock-file entry or installed distribution whose exact version
is affected by published advisories (OSV data: PyPA, GitHub, ...), including the
distributions of an installed environment (`scan --env`). The finding carries every
advisory (id, aliases, severity and CVSS, affected interval, first fixed version,
link; every report lists them all) and names the first version that fixes them all.
Its severity is the worst advisory's: from its CVSS vector, else its own rating,
else MEDIUM, raised to HIGH when the advisory is about code execution.
""",
    why="""
A known vulnerability comes with a public description and often a public exploit;
attackers scan for it. In an AI stack the usual ones are code execution through
chains and tools (LangChain), sandbox escapes (RestrictedPython) and
deserialization (PyYAML, jsonpickle).
""",
    example="""
    langchain==0.0.131
""",
    use_instead="""
    langchain==0.3.9
""",
    recommendation="Upgrade each vulnerable dependency to the fixed version named in the finding (or later) and re-lock.",
    references=REFERENCES,
)

DEP002 = define(
    "DEP002",
    "range-admits-vulnerable-version",
    "Version range admits a known-vulnerable version",
    area=Area.DEPENDENCIES,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1395,
    impacts=ADVISORY_IMPACTS,
    what="""
A declared dependency (pyproject.toml, setup.cfg, setup.py, Pipfile, METADATA)
whose version range lets a resolver install a version with known advisories, and
that no lock file of the project pins. Reported one severity level below what the
same vulnerable version would be when pinned. The finding names the lower bound to
move to: the first fixed version inside the range when one clears every advisory,
else the lowest bound that excludes them all.
""",
    why="""
The range is what every installer of the package resolves against: an old
environment, a constraints file or a cached wheel can satisfy it with the
vulnerable release. Raising the lower bound to the fixed version rules that out.
""",
    example="""
    langchain>=0.0.100
""",
    use_instead="""
    langchain>=0.3.0
""",
    recommendation="Raise the lower bound of each range to the first version that fixes the listed advisories.",
    references=REFERENCES,
)

DEP003 = define(
    "DEP003",
    "unpinned-dependency",
    "Dependency not pinned to an exact version",
    area=Area.DEPENDENCIES,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=1357,
    impacts=ADVISORY_IMPACTS,
    what="""
Under the application policy (the project has a requirements or lock file): a
requirements line without an exact `==` version that no lock or constraints file
pins. Under the library policy: a declared dependency with no version constraint
at all (LOW). The report states which policy applied.
""",
    why="""
An unpinned application installs whatever is newest on the day of the build: a
compromised or broken release reaches production without review, and two builds
of the same commit differ. Libraries use ranges, but a range with no lower bound
accepts every historical release, vulnerable ones included.
""",
    example="""
    requests
""",
    use_instead="""
    requests==2.32.3
""",
    recommendation="Pin application dependencies exactly (a lock file or `==` with `--hash`), and give library dependencies a lower bound.",
    references=REFERENCES,
)

DEP004 = define(
    "DEP004",
    "unpinned-url-dependency",
    "Direct URL or VCS dependency without a commit or hash",
    area=Area.DEPENDENCIES,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=829,
    impacts=ADVISORY_IMPACTS,
    what="""
A dependency installed from a VCS URL that names a branch or tag (or nothing)
instead of a full commit hash, or from an archive URL without a `#sha256=` hash.
MEDIUM under the application policy, LOW for a library.
""",
    why="""
Branches and tags move and archives can be replaced: whoever controls the
repository or the server decides what the next build installs, and no advisory
database can say whether that code is affected.
""",
    example="""
    agent-tools @ git+https://github.com/example/agent-tools.git@main
""",
    use_instead="""
    agent-tools @ git+https://github.com/example/agent-tools.git@0f3c9a1b2d4e5f60718293a4b5c6d7e8f9012345
""",
    recommendation="Pin VCS dependencies to a full commit hash and archive URLs to a `#sha256=` hash, or publish and pin a release.",
    references=REFERENCES,
)
