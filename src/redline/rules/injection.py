"""Checklist area 3: injection (shell commands for now; SQL/Cypher come with taint)."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules.common import argument, is_const, is_literal, keyword
from redline.rules.registry import check, define

INJ001 = define(
    "INJ001",
    "shell-command-injection",
    "Shell command built from non-literal data",
    area=Area.INJECTION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=78,
    basis="data",
    what="""
A command that a shell interprets, built from anything but a literal:
`subprocess.*` with `shell=True`, `subprocess.getoutput`/`getstatusoutput`,
`os.system`, `os.popen`, and `asyncio.create_subprocess_shell`. Without a proven
flow from an attacker-controlled source it is a review item (MEDIUM); with one,
INJ002 reports it (CRITICAL).
""",
    why="""
The shell gives meaning to `;`, `|`, `$(...)` and backticks, so any variable part
of the command (a file name, a workflow input, a tool argument chosen by a model)
can append commands of its own. Quoting by hand is fragile.
""",
    example="""
    import subprocess

    def convert(name):
        subprocess.run(f"pandoc {name} -o out.pdf", shell=True)
""",
    use_instead="""
    import subprocess

    def convert(name):
        subprocess.run(["pandoc", name, "-o", "out.pdf"], check=True, timeout=60)
""",
    recommendation=(
        "Run commands as argument lists without a shell (subprocess.run([...], shell=False)); "
        "validate variable parts against an allowlist, and use shlex.quote only as a last resort."
    ),
    references=(
        "https://docs.python.org/3/library/subprocess.html#security-considerations",
        "https://cwe.mitre.org/data/definitions/78.html",
    ),
)

_SUBPROCESS = tuple(
    f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")
)
_ALWAYS_SHELL = (
    "os.system",
    "os.popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "commands.getoutput",
    "commands.getstatusoutput",
    "asyncio.create_subprocess_shell",
    "popen2.popen2",
)


_QUOTERS = frozenset({"shlex.quote", "pipes.quote", "shlex.join"})


def _quoted_only(ctx, command: ast.AST) -> bool:
    """Every variable part of the command is wrapped in shlex.quote: mitigated."""
    variable = []
    if isinstance(command, ast.JoinedStr):
        variable = [v.value for v in command.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(command, ast.BinOp):
        stack = [command]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.BinOp):
                stack += [n.left, n.right]
            elif not is_literal(n):
                variable.append(n)
    elif isinstance(command, ast.Call):
        variable = [command]
    return bool(variable) and all(
        isinstance(v, ast.Call) and ctx.qualname(v.func) in _QUOTERS for v in variable
    )


def _report_shell(ctx, node: ast.Call, command: ast.AST, message: str) -> None:
    if _quoted_only(ctx, command):
        ctx.report(
            INJ001,
            node,
            message + " (mitigated: every variable part is quoted with shlex.quote)",
            evidence=("mitigated",),
        )
    else:
        ctx.report(INJ001, node, message)


@check(INJ001, calls=_SUBPROCESS)
def subprocess_shell(ctx, node: ast.Call) -> None:
    shell = keyword(node, "shell")
    if shell is None or is_const(shell.value, False) or is_const(shell.value, None):
        return
    command = argument(node, 0, "args")
    if command is None or is_literal(command):
        return
    name = ctx.qualname(node.func)
    _report_shell(ctx, node, command, f"{name}(..., shell=True) runs a command built from variable data")


@check(INJ001, calls=_ALWAYS_SHELL)
def shell_call(ctx, node: ast.Call) -> None:
    command = argument(node, 0, "cmd")
    if command is None or is_literal(command):
        return
    name = ctx.qualname(node.func)
    _report_shell(ctx, node, command, f"{name}() passes a command built from variable data to a shell")

INJ002 = define(
    "INJ002",
    "tainted-command-injection",
    "Untrusted data in a system command",
    area=Area.INJECTION,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    cwe=78,
    what="""
A proven flow from an untrusted source into a command run by the system:
`subprocess` with a shell, `os.system`, `os.popen`, `os.exec*`/`spawn*`,
`asyncio` shells, `pexpect`, `paramiko` `exec_command`.
""",
    why="""
Shell metacharacters in the untrusted part run the attacker's own commands with the
service's permissions; with an agent, a prompt injection in a fetched page is enough.
""",
    example="""
    import subprocess
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/ping")
    def ping():
        host = request.args["host"]
        return subprocess.check_output(f"ping -c 1 {host}", shell=True)
""",
    use_instead="""
    import subprocess
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/ping")
    def ping():
        host = request.args["host"]
        return subprocess.check_output(["ping", "-c", "1", "--", host], timeout=10)
""",
    recommendation=(
        "Pass commands as argument lists without a shell, validate the untrusted part "
        "against an allowlist, and quote with shlex.quote only where a shell is unavoidable."
    ),
    references=("https://cwe.mitre.org/data/definitions/78.html",),
)


def _injection_rule(id, name, title, cwe, what, why, example, use_instead, recommendation):
    return define(
        id,
        name,
        title,
        area=Area.INJECTION,
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        cwe=cwe,
        what=what,
        why=why,
        example=example,
        use_instead=use_instead,
        recommendation=recommendation,
        references=(f"https://cwe.mitre.org/data/definitions/{cwe}.html",),
    )


INJ003 = _injection_rule(
    "INJ003",
    "sql-injection",
    "Untrusted data in an SQL query",
    89,
    """
A proven flow from an untrusted source into the text of an SQL statement: DB-API
`execute`/`executemany`, SQLAlchemy `text()` and string `execute`, `pandas.read_sql`,
and SQL helpers of agent frameworks.
""",
    """
Text concatenated into a query changes the query: data is read, altered or deleted
beyond what the code meant, and text-to-SQL chains hand that power to the model.
""",
    """
    import sqlite3
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/user")
    def user():
        db = sqlite3.connect("app.db")
        return str(db.execute(f"SELECT * FROM users WHERE name = '{request.args['name']}'").fetchall())
""",
    """
    import sqlite3
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/user")
    def user():
        db = sqlite3.connect("app.db")
        return str(db.execute("SELECT * FROM users WHERE name = ?", (request.args["name"],)).fetchall())
""",
    "Use parameterized queries (placeholders and a separate parameters argument); never format values into SQL.",
)

INJ004 = _injection_rule(
    "INJ004",
    "cypher-injection",
    "Untrusted data in a Cypher query",
    943,
    """
A proven flow from an untrusted source into the text of a Cypher query (`neo4j`
`Session.run`, `Driver.execute_query`, graph `query` helpers of LangChain and
LlamaIndex).
""",
    """
Cypher built from strings lets the input rewrite the query: read other tenants'
nodes, `DETACH DELETE` the graph, or call procedures that reach the file system.
""",
    """
    from neo4j import GraphDatabase
    from flask import Flask, request

    app = Flask(__name__)
    driver = GraphDatabase.driver("neo4j://graph:7687", auth=("neo4j", "secret"))

    @app.route("/person")
    def person():
        with driver.session() as session:
            return str(session.run(f"MATCH (p:Person {{name: '{request.args['name']}'}}) RETURN p").data())
""",
    """
    from neo4j import GraphDatabase
    from flask import Flask, request

    app = Flask(__name__)
    driver = GraphDatabase.driver("neo4j://graph:7687", auth=("neo4j", "secret"))

    @app.route("/person")
    def person():
        with driver.session() as session:
            return str(session.run("MATCH (p:Person {name: $name}) RETURN p", name=request.args["name"]).data())
""",
    "Pass values as query parameters ($name) and never build Cypher text from input or model output.",
)

INJ005 = _injection_rule(
    "INJ005",
    "template-injection",
    "Untrusted data compiled as a template (SSTI)",
    1336,
    """
A proven flow from an untrusted source into the *source* of a template:
`jinja2.Template(src)`, `Environment.from_string(src)` without a sandboxed
environment, `mako` templates, `render_template_string`.
""",
    """
Template languages reach Python objects: `{{ cycler.__init__.__globals__.os.popen('id').read() }}`
runs commands. Prompt templates taken from users or models are the AI-era variant.
""",
    """
    import jinja2
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/greet")
    def greet():
        return jinja2.Template(request.args["template"]).render(user="guest")
""",
    """
    import jinja2
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/greet")
    def greet():
        return jinja2.Template("Hello {{ name }}").render(name=request.args["name"])
""",
    "Keep template sources constant and pass untrusted values as variables; if users must write templates, render them in jinja2.sandbox.SandboxedEnvironment.",
)

INJ006 = _injection_rule(
    "INJ006",
    "xml-external-entities",
    "Untrusted XML parsed with entity expansion (XXE)",
    611,
    "A proven flow from an untrusted source into an XML parser that resolves entities or DTDs.",
    """
External entities read local files and reach internal URLs; nested entities exhaust
memory ("billion laughs").
""",
    """
    from lxml import etree
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/import", methods=["POST"])
    def import_xml():
        return etree.tostring(etree.fromstring(request.get_data()))
""",
    """
    import defusedxml.ElementTree as ET
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/import", methods=["POST"])
    def import_xml():
        return ET.tostring(ET.fromstring(request.get_data()))
""",
    "Parse untrusted XML with defusedxml, or disable DTDs and entity resolution in the parser.",
)

INJ007 = _injection_rule(
    "INJ007",
    "ldap-injection",
    "Untrusted data in an LDAP filter",
    90,
    "A proven flow from an untrusted source into an LDAP search filter or DN.",
    "Filter metacharacters widen the search or bypass authentication checks built on it.",
    """
    import ldap
    from flask import Flask, request

    app = Flask(__name__)
    conn = ldap.initialize("ldap://directory")

    @app.route("/who")
    def who():
        return str(conn.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + request.args["u"] + ")"))
""",
    """
    import ldap
    from ldap.filter import escape_filter_chars
    from flask import Flask, request

    app = Flask(__name__)
    conn = ldap.initialize("ldap://directory")

    @app.route("/who")
    def who():
        uid = escape_filter_chars(request.args["u"])
        return str(conn.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")"))
""",
    "Escape values with ldap.filter.escape_filter_chars / escape_dn_chars before building filters.",
)

INJ008 = _injection_rule(
    "INJ008",
    "xpath-injection",
    "Untrusted data in an XPath expression",
    643,
    "A proven flow from an untrusted source into an XPath query.",
    "XPath built from strings lets the input select any node of the document.",
    """
    from lxml import etree
    from flask import Flask, request

    app = Flask(__name__)
    doc = etree.parse("users.xml")

    @app.route("/find")
    def find():
        return str(doc.xpath("//user[name='" + request.args["name"] + "']"))
""",
    """
    from lxml import etree
    from flask import Flask, request

    app = Flask(__name__)
    doc = etree.parse("users.xml")

    @app.route("/find")
    def find():
        return str(doc.xpath("//user[name=$name]", name=request.args["name"]))
""",
    "Use XPath variables ($name) instead of building expressions from input.",
)

INJ012 = define(
    "INJ012",
    "jsonpath-injection",
    "Untrusted data in a JSONPath expression",
    area=Area.INJECTION,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=917,
    what="""
A proven flow from an untrusted source (a request, model output, a tool argument) into
the expression parsed by `jsonpath_ng`, `jsonpath_rw` or `python-jsonpath`. (The
`jsonpath` package evaluates filter expressions with `eval`: that one is code execution,
EXEC002.)
""",
    why="""
The expression decides what part of the document is read: `$..*` or a recursive filter
selects every record beside the requested one (other users' data, secrets stored next to
the public fields), and nested filters can be made arbitrarily expensive. Agents that
let the model write the path hand that choice to whoever injected the prompt.
""",
    example="""
    from flask import Flask, request
    from jsonpath_ng import parse

    app = Flask(__name__)
    CATALOGUE = {"items": [{"title": "a", "cost": 1}]}

    @app.route("/select")
    def select():
        return [m.value for m in parse(request.args["path"]).find(CATALOGUE)]
""",
    use_instead="""
    from flask import Flask, request
    from jsonpath_ng import parse

    app = Flask(__name__)
    CATALOGUE = {"items": [{"title": "a", "cost": 1}]}
    FIELDS = {"titles": parse("$.items[*].title"), "costs": parse("$.items[*].cost")}

    @app.route("/select")
    def select():
        return [m.value for m in FIELDS[request.args["field"]].find(CATALOGUE)]
""",
    recommendation=(
        "Offer named selections mapped to fixed expressions on the server, or validate the "
        "path against a strict grammar (field names only, no recursion or filters)."
    ),
    references=("https://cwe.mitre.org/data/definitions/917.html",),
)

INJ009 = _injection_rule(
    "INJ009",
    "header-injection",
    "Untrusted data in an HTTP response header",
    113,
    "A proven flow from an untrusted source into a response header value written without CR/LF checks.",
    "Line breaks in a header value split the response: forged headers, cookies or bodies.",
    """
    from http.server import BaseHTTPRequestHandler

    class Redirector(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", self.path)
            self.end_headers()
""",
    """
    from http.server import BaseHTTPRequestHandler

    class Redirector(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", "/home")
            self.end_headers()
""",
    "Validate header values against an allowlist and reject CR/LF characters.",
)

INJ010 = _injection_rule(
    "INJ010",
    "cross-site-scripting",
    "Untrusted data in an HTML response (XSS)",
    79,
    "A proven flow from an untrusted source into an HTML response body without escaping.",
    "Script in the response runs in users' browsers with their session.",
    """
    from flask import Flask, request, make_response

    app = Flask(__name__)

    @app.route("/hello")
    def hello():
        return make_response("<h1>Hello " + request.args["name"] + "</h1>")
""",
    """
    from html import escape
    from flask import Flask, request, make_response

    app = Flask(__name__)

    @app.route("/hello")
    def hello():
        return make_response("<h1>Hello " + escape(request.args["name"]) + "</h1>")
""",
    "Render HTML through an autoescaping template engine or escape values with html.escape / markupsafe.escape.",
)
