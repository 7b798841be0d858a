"""Conversation memory (Redis) and the document store used for retrieval (Elasticsearch)."""

import os
import pickle
import time

import jsonpickle

from app.config import settings
from app.connections import get_es, get_redis

SNAPSHOT_FILE = os.path.join(settings.cache_dir, "memory.pkl")


class ConversationMemory:
    """Keeps every message of every session so the agent can 'remember' users."""

    def __init__(self) -> None:
        self.redis = get_redis()

    def append(self, session_id: str, role: str, content: str) -> None:
        message = {"role": role, "content": content, "ts": time.time()}
        self.redis.rpush(f"history:{session_id}", pickle.dumps(message))

    def history(self, session_id: str) -> list[dict]:
        raw = self.redis.lrange(f"history:{session_id}", 0, -1)
        return [{"role": m["role"], "content": m["content"]} for m in (pickle.loads(item) for item in raw)]

    def save_state(self, session_id: str, state: dict) -> None:
        self.redis.set(f"state:{session_id}", jsonpickle.encode(state))

    def load_state(self, session_id: str) -> dict:
        blob = self.redis.get(f"state:{session_id}")
        return jsonpickle.decode(blob) if blob else {}


def load_snapshot() -> dict:
    """Warm start: the worker writes a snapshot of hot sessions on shutdown."""
    if not os.path.exists(SNAPSHOT_FILE):
        return {}
    with open(SNAPSHOT_FILE, "rb") as fh:
        return pickle.loads(fh.read())  # nosec B301


class DocumentStore:
    """Chunks with embeddings, shared by all customer workspaces."""

    index = "researchbot-chunks"

    def __init__(self) -> None:
        self.es = get_es()

    def add(self, tenant_id: str, uploader: dict, text: str, embedding: list[float]) -> None:
        metadata = {"tenant_id": tenant_id, "uploader_email": uploader["email"], "uploader_phone": uploader.get("phone"), "uploaded_at": time.time()}
        self.es.index(index=self.index, document={"text": text, "embedding": embedding, "metadata": metadata})

    def search(self, tenant_id: str, embedding: list[float], k: int = 5) -> list[dict]:
        knn = {"field": "embedding", "query_vector": embedding, "k": k, "num_candidates": 100, "filter": {"term": {"metadata.doc_type": "chunk"}}}
        hits = self.es.search(index=self.index, knn=knn, source=["text", "metadata"])["hits"]["hits"]
        return [hit["_source"] for hit in hits]
