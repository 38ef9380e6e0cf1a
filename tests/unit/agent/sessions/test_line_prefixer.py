"""A separated stream's prefix starts each of its lines, however the stream was cut."""

from __future__ import annotations

from openssm.agent.sessions.separated import LinePrefixer


def test_every_line_starts_with_the_prefix_across_pieces() -> None:
    prefixed = LinePrefixer(b"ERR:")
    pieces = [b"one\ntwo\nthr", b"ee\n", b"\n", b"last"]
    assert b"".join(prefixed(p) for p in pieces) == b"ERR:one\nERR:two\nERR:three\nERR:\nERR:last"


def test_a_carriage_return_alone_does_not_start_a_line() -> None:
    prefixed = LinePrefixer(b"OUT:")
    assert prefixed(b"10%\r20%\r") + prefixed(b"\ndone\n") == b"OUT:10%\r20%\r\nOUT:done\n"


def test_no_prefix_leaves_the_stream_as_it_is() -> None:
    assert LinePrefixer(b"")(b"a\nb") == b"a\nb"
