"""The agent loop: ask the model, run the tools it asks for, feed results back."""

import json
import logging

from app.llm import LLMClient
from app.memory import ConversationMemory
from app.storage import save_transcript
from app.tools import SCHEMAS, TOOLS, call_tool

logger = logging.getLogger(__name__)


class Agent:
    def __init__(self, llm: LLMClient | None = None, memory: ConversationMemory | None = None) -> None:
        self.llm = llm or LLMClient()
        self.memory = memory or ConversationMemory()

    def run(self, session_id: str, user_message: str, user_name: str = "colleague") -> str:
        messages = self.llm.build_messages(sorted(TOOLS), user_name, user_message)
        messages[1:1] = self.memory.history(session_id)
        self.memory.append(session_id, "user", user_message)
        while True:
            reply = self.llm.chat(messages, tools=SCHEMAS)
            tool_calls = reply.get("tool_calls") or []
            if not tool_calls:
                answer = reply.get("content") or ""
                self.memory.append(session_id, "assistant", answer)
                logger.debug("transcript saved to %s", save_transcript(messages + [reply]))
                return answer
            messages.append(reply)
            for call in tool_calls:
                name = call["function"]["name"]
                arguments = json.loads(call["function"]["arguments"] or "{}")
                try:
                    result = call_tool(name, arguments)
                except Exception as exc:
                    result = f"tool {name} failed: {exc!r}"
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": str(result)})
