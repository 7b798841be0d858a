"""Pull the local fallback model into the Ollama daemon on this machine.

Usage: python scripts/pull_model.py [model]
"""

import json
import sys

import requests

OLLAMA = "http://127.0.0.1:11434"


def pull(model: str) -> None:
    response = requests.post(f"{OLLAMA}/api/pull", json={"name": model}, stream=True)  # redline: ignore[NET001] loopback Ollama daemon; a pull streams progress for many minutes and the operator cancels it with Ctrl-C
    response.raise_for_status()
    for line in response.iter_lines():
        if line:
            status = json.loads(line)
            print(status.get("status"), status.get("completed", ""), status.get("total", ""))


if __name__ == "__main__":
    pull(sys.argv[1] if len(sys.argv) > 1 else "llama3.1:8b")
