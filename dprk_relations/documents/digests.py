"""SHA-256 of a release's files, computed once per file during a build.

A build hashes each file up to four times: for the descriptor, the release
page, SHA256SUMS and the result it reports. On a million rows that is some
half a second of hashing the same 200 MB; within :func:`remembered` each bytes
object is hashed once.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

# id(bytes) -> (the bytes, their digest). The bytes are held so that their id is not
# reused while the entry lives; the identity check makes a stale entry harmless.
_memo: dict[int, tuple[bytes, str]] | None = None


@contextmanager
def remembered():
    """Within: :func:`sha256_hex` hashes each bytes object once. Nested uses share one memo,
    which is dropped (with the bytes it holds) when the outermost ends."""
    global _memo
    outer = _memo
    if outer is None:
        _memo = {}
    try:
        yield
    finally:
        _memo = outer


def sha256_hex(data: bytes) -> str:
    memo = _memo
    if memo is None:
        return hashlib.sha256(data).hexdigest()
    hit = memo.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    digest = hashlib.sha256(data).hexdigest()
    memo[id(data)] = (data, digest)
    return digest
