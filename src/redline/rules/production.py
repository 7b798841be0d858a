"""Production engineering: resource limits, error handling and shared state."""

from __future__ import annotations
