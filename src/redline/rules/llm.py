"""Checklist area 6: LLM security."""

from __future__ import annotations

from redline.model import Area, Confidence, Severity
from redline.rules.registry import define

LLM001 = define(
    "LLM001",
    "system-prompt-injection",
    "Untrusted data placed in the system prompt",
    area=Area.LLM,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=1427,
    what="""
A proven flow from an untrusted source (user input, retrieved documents, tool
results) into a system-prompt position: an OpenAI `{"role": "system"}` message,
Anthropic's `system=`, LangChain `SystemMessage`, framework `system_prompt` fields.
""",
    why="""
The system prompt carries the instructions the model trusts most; text placed there
by a user overrides guardrails, tool-use policy and data-access rules.
""",
    example="""
    from openai import OpenAI
    from flask import Flask, request

    app = Flask(__name__)
    client = OpenAI()

    @app.route("/chat", methods=["POST"])
    def chat():
        persona = request.json["persona"]
        messages = [{"role": "system", "content": "You are " + persona}]
        return client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message.content
""",
    use_instead="""
    from openai import OpenAI
    from flask import Flask, request

    app = Flask(__name__)
    client = OpenAI()

    @app.route("/chat", methods=["POST"])
    def chat():
        messages = [
            {"role": "system", "content": "You are a support assistant."},
            {"role": "user", "content": request.json["question"]},
        ]
        return client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message.content
""",
    recommendation=(
        "Keep system prompts constant; put user-provided text in user messages, clearly "
        "delimited, and never let it choose instructions or personas verbatim."
    ),
    references=("https://genai.owasp.org/llmrisk/llm01-prompt-injection/",),
)
