"""ResearchBot: an internal research assistant (agent + tools + workflows)."""

__version__ = "0.4.2"
