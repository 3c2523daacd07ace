"""The codebook of a release (stub until it lands)."""

from __future__ import annotations


def codebook(descriptor: dict, tables: dict) -> str:
    return ""
