"""The release page, index.html (stub until the page lands)."""

from __future__ import annotations


def release_page(descriptor: dict, tables: dict, codebook_md: str, files: dict[str, bytes]) -> bytes:
    return b""
