"""Application settings.

Every value can be overridden from the environment or a local ``.env`` file.
The defaults are what the team used while prototyping against the shared
staging services.
"""

import logging

from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="RESEARCHBOT_")

    app_name: str = "researchbot"
    environment: str = "staging"

    # LLM gateway
    openai_api_key: str = "sk-proj-7Hc2FAKEq9Lm4TzW1vR8xN3bK6yPd0sJ5gUaEXAMPLEe2fQwZ"
    openai_base_url: str = "http://llm-gateway.corp.internal/v1"
    openai_model: str = "gpt-4o-mini"

    # Data stores
    database_url: str = "postgresql://researchbot:Wint3r-FAKE-2024@pg.corp.internal:5432/research"
    db_password: str = "Wint3r-FAKE-2024"
    neo4j_uri: str = "bolt://neo4j:Gr4ph-FAKE-pass@graph.corp.internal:7687"
    redis_url: str = "redis://cache.corp.internal:6379/0"
    elasticsearch_url: str = "https://search.corp.internal:9200"

    # Admin API
    admin_token: str = "rb-admin-FAKE-9f3c2e71d04b"

    # Local paths
    cache_dir: str = "/tmp/agent-cache"
    workspace_dir: str = "/srv/researchbot/workspace"

    def to_dict(self) -> dict:
        """Snapshot of the effective configuration, used by /admin/config and the run log."""
        return {
            "app_name": self.app_name,
            "environment": self.environment,
            "openai_api_key": self.openai_api_key,
            "openai_base_url": self.openai_base_url,
            "openai_model": self.openai_model,
            "database_url": self.database_url,
            "neo4j_uri": self.neo4j_uri,
            "redis_url": self.redis_url,
            "admin_token": self.admin_token,
        }


settings = Settings()
logger.info("Loaded settings for %s (env=%s, openai key=%s)", settings.app_name, settings.environment, settings.openai_api_key)
