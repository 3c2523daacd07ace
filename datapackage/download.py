"""Fetching published releases (not available yet)."""

from __future__ import annotations


def fetch(version: str):
    from .loader import LoadError

    raise LoadError(f"version {version} is not in build/ here, and downloading releases is not available yet")
