"""Opaque NextToken values: round trip, binding, and refusal of anything not issued
("Any paginated op: NextToken not issued by server → InvalidNextToken")."""

from __future__ import annotations

import base64

import pytest

from openssm.errors import InvalidNextToken
from openssm.server.services import paging

BOUND = paging.binding("DescribeParameters", "123456789012", "us-east-1", [{"Key": "Type"}])


def test_token_round_trips_its_position() -> None:
    token = paging.encode_token("DescribeParameters", {"k": "/a/b"}, bound_to=BOUND)
    assert paging.decode_token(token, "DescribeParameters", bound_to=BOUND) == {"k": "/a/b"}
    assert "/a/b" not in token  # opaque, not the position in clear


def _flip(token: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("at", [0, 5, 11, 12, 20, -1])
def test_a_changed_byte_is_invalid(at: int) -> None:
    token = paging.encode_token("DescribeParameters", {"k": "/a/b"}, bound_to=BOUND)
    with pytest.raises(InvalidNextToken):
        paging.decode_token(_flip(token, at), "DescribeParameters", bound_to=BOUND)


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "!!!!", "a" * 5000, base64.urlsafe_b64encode(b"x" * 40).decode()],
)
def test_made_up_tokens_are_invalid(token: str) -> None:
    with pytest.raises(InvalidNextToken):
        paging.decode_token(token, "DescribeParameters", bound_to=BOUND)


def test_a_token_is_bound_to_its_operation_and_listing() -> None:
    """A token replayed on another operation, scope or filter set is not valid there."""
    token = paging.encode_token("DescribeParameters", {"k": "/a"}, bound_to=BOUND)
    with pytest.raises(InvalidNextToken):
        paging.decode_token(token, "GetParametersByPath", bound_to=BOUND)
    other = paging.binding("DescribeParameters", "123456789012", "us-east-1", [{"Key": "Tier"}])
    with pytest.raises(InvalidNextToken):
        paging.decode_token(token, "DescribeParameters", bound_to=other)
    other_account = paging.binding("DescribeParameters", "999999999999", "us-east-1", [])
    with pytest.raises(InvalidNextToken):
        paging.decode_token(token, "DescribeParameters", bound_to=other_account)
