"""A build hashes each file once: the digests it reuses must be the digests of the bytes."""

import hashlib

from dprk_relations.documents import digests


def test_digests_are_sha256_inside_and_outside_a_build():
    a, b = b"x" * 1000, bytearray(b"x" * 1000)
    with digests.remembered():
        assert digests.sha256_hex(a) == hashlib.sha256(a).hexdigest()
        assert digests.sha256_hex(a) == hashlib.sha256(a).hexdigest()  # from the memo
        with digests.remembered():  # nested: the same memo
            assert digests.sha256_hex(a) == hashlib.sha256(a).hexdigest()
        assert digests._memo  # still held by the outer one
    assert digests._memo is None  # dropped, with the bytes it held
    assert digests.sha256_hex(b"y") == hashlib.sha256(b"y").hexdigest()


def test_an_id_reused_by_other_bytes_is_not_taken_for_the_old_ones():
    with digests.remembered():
        old = bytes(range(10))
        digests.sha256_hex(old)
        key = id(old)
        other = b"other bytes"
        digests._memo[id(other)] = (old, "stale")  # as if ``other`` had taken old's id
        assert digests.sha256_hex(other) == hashlib.sha256(other).hexdigest()
        assert digests._memo[key][1] == hashlib.sha256(old).hexdigest()
