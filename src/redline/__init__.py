"""redline: static security review for Python AI-orchestration codebases."""

__version__ = "0.1.0"
