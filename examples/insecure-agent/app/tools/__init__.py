"""Tool registry: every function decorated with ``@tool`` is offered to the model."""

from collections.abc import Callable
from typing import Any

TOOLS: dict[str, Callable[..., Any]] = {}
SCHEMAS: list[dict] = []


def tool(name: str, description: str, parameters: dict) -> Callable:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        TOOLS[name] = fn
        SCHEMAS.append({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}})
        return fn

    return register


def params(**fields: str) -> dict:
    """JSON schema for a tool whose arguments are all required strings."""
    return {
        "type": "object",
        "properties": {name: {"type": "string", "description": text} for name, text in fields.items()},
        "required": list(fields),
    }


def call_tool(name: str, arguments: dict) -> Any:
    return TOOLS[name](**arguments)


from app.tools import database, sandbox, web  # noqa: E402,F401  (registers the tools)
