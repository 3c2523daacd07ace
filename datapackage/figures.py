"""The timeline figure of a release (stub until the figure lands)."""

from __future__ import annotations


def timeline(descriptor: dict, tables: dict) -> dict[str, bytes]:
    """{"timeline.png": bytes, "timeline.svg": bytes}, deterministic."""
    return {}
