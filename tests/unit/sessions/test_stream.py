"""The reliable stream (session-protocol.md §1 "Acknowledgements", "Receiving sequenced data",
"Retransmission"), driven by a fake clock, with injected reordering, duplicates and loss."""

from __future__ import annotations

import random

import pytest

from openssm.errors import SessionEnded
from openssm.sessions.payloads import parse_acknowledgement
from openssm.sessions.stream import (
    INITIAL_RTO_S,
    MAX_RESENDS,
    MAX_RTO_S,
    Receipt,
    ReliableStream,
    RetransmissionTimer,
)
from openssm.sessions.wire import ClientMessage, MessageType


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pair(clock: Clock, window: int = 8) -> tuple[ReliableStream, ReliableStream]:
    client = ReliableStream(MessageType.INPUT_STREAM_DATA, clock, window=window)
    agent = ReliableStream(MessageType.OUTPUT_STREAM_DATA, clock, window=window)
    return client, agent


def _acked_sequence(ack: ClientMessage | None) -> int:
    assert ack is not None
    return parse_acknowledgement(ack.payload).sequence_number


def test_messages_are_numbered_from_zero_and_acks_release_them() -> None:
    clock = Clock()
    client, agent = _pair(clock)
    sent = [client.send(f"m{i}".encode()) for i in range(3)]
    assert [m.sequence_number for m in sent if m] == [0, 1, 2]
    assert all(m and m.message_type == "input_stream_data" for m in sent)
    for message in sent:
        assert message is not None
        receipt = agent.receive(message)
        assert [d.payload for d in receipt.deliver] == [message.payload]
        assert client.acknowledged(_acked_sequence(receipt.ack))
    assert client.unacked_count == 0
    assert not client.acknowledged(1)  # a second ack for the same message changes nothing


def test_out_of_order_messages_are_buffered_acked_and_delivered_in_order() -> None:
    clock = Clock()
    client, agent = _pair(clock)
    m0, m1, m2 = (client.send(bytes([i])) for i in range(3))
    assert m0
    assert m1
    assert m2
    later = agent.receive(m2)
    assert later.deliver == ()
    assert _acked_sequence(later.ack) == 2
    assert agent.receive(m1).deliver == ()
    first = agent.receive(m0)
    assert [d.sequence_number for d in first.deliver] == [0, 1, 2]
    assert agent.buffered_count == 0


def test_a_duplicate_is_acked_again_but_never_delivered_twice() -> None:
    clock = Clock()
    client, agent = _pair(clock)
    m0, m1 = client.send(b"a"), client.send(b"b")
    assert m0
    assert m1
    agent.receive(m0)
    again = agent.receive(m0)
    assert again.duplicate
    assert again.deliver == ()
    assert _acked_sequence(again.ack) == 0
    agent.receive(m1)
    buffered_twice = client.send(b"c"), client.send(b"d")
    assert buffered_twice[1]
    assert agent.receive(buffered_twice[1]).deliver == ()
    assert agent.receive(buffered_twice[1]).duplicate


def test_a_message_too_far_ahead_is_not_acked_so_it_comes_again() -> None:
    clock = Clock()
    agent = ReliableStream(MessageType.OUTPUT_STREAM_DATA, clock, reorder_limit=4)
    far = ClientMessage(message_type="input_stream_data", sequence_number=5, payload=b"x")
    assert agent.receive(far) == Receipt()
    assert agent.buffered_count == 0


def test_unacked_messages_are_resent_after_the_timeout_and_only_then() -> None:
    clock = Clock()
    client, _ = _pair(clock)
    message = client.send(b"hello")
    assert client.due() == []
    assert client.next_due_at() == pytest.approx(clock.now + INITIAL_RTO_S)
    clock.now += INITIAL_RTO_S / 2
    assert client.due() == []
    clock.now += INITIAL_RTO_S / 2
    assert client.due() == [message]
    assert client.due() == []
    assert client.resent_total == 1


def test_only_the_oldest_overdue_message_is_resent_and_each_timeout_doubles_the_next() -> None:
    """Messages queued behind a slow one are late, not lost: resending them all on each
    timeout cost a window of duplicates every time a queue grew."""
    clock = Clock()
    client, _ = _pair(clock)
    first, second, third = (client.send(bytes([i])) for i in range(3))
    clock.now += INITIAL_RTO_S
    assert client.due() == [first]
    assert client.timer.rto == pytest.approx(2 * INITIAL_RTO_S)
    clock.now += INITIAL_RTO_S
    assert client.due() == []  # the others wait for the doubled timeout
    assert client.acknowledged(0)
    assert client.due() == [second]  # now the oldest, long overdue
    assert client.timer.rto == pytest.approx(4 * INITIAL_RTO_S)
    assert client.acknowledged(1)
    assert client.acknowledged(2)  # sent once: its round trip is a fresh sample
    assert client.timer.srtt == pytest.approx(2 * INITIAL_RTO_S)
    assert client.resent_total == 2
    assert third is not None


def test_the_timeout_follows_the_round_trip_and_stays_within_its_bounds() -> None:
    timer = RetransmissionTimer()
    assert timer.rto == INITIAL_RTO_S
    for _ in range(20):
        timer.observe(0.002)
    assert timer.rto == pytest.approx(0.002 + 0.01, abs=0.002)
    for _ in range(20):
        timer.observe(5.0)
    assert timer.rto == MAX_RTO_S


def test_a_resent_message_gives_no_round_trip_sample() -> None:
    clock = Clock()
    client, _ = _pair(clock)
    client.send(b"x")
    clock.now += 0.9
    client.due()
    clock.now += 0.001
    client.acknowledged(0)
    assert client.timer.srtt is None


def test_the_window_bounds_what_is_in_flight() -> None:
    clock = Clock()
    client, _ = _pair(clock, window=2)
    client.send(b"1")
    client.send(b"2")
    assert not client.can_send()
    with pytest.raises(RuntimeError, match="window is full"):
        client.send(b"3")
    client.acknowledged(0)
    assert client.can_send()


def test_nothing_goes_out_while_paused_and_held_messages_go_on_start() -> None:
    clock = Clock()
    client, _ = _pair(clock)
    sent = client.send(b"before")
    client.pause()
    assert client.send(b"held") is None
    clock.now += 10
    assert client.due() == []
    assert client.next_due_at() is None
    assert client.resend_all() == []
    client.start()
    out = client.due()
    assert [m.payload for m in out] == [b"before", b"held"]
    assert sent is not None


def test_a_resume_sends_every_unacked_message_in_order() -> None:
    clock = Clock()
    client, _ = _pair(clock)
    for i in range(4):
        client.send(bytes([i]))
    client.acknowledged(1)
    assert [m.sequence_number for m in client.resend_all()] == [0, 2, 3]


def test_the_session_ends_after_too_many_resends() -> None:
    clock = Clock()
    client, _ = _pair(clock)
    client.send(b"lost forever")
    for _ in range(MAX_RESENDS):
        clock.now += MAX_RTO_S
        assert len(client.due()) == 1
    clock.now += MAX_RTO_S
    with pytest.raises(SessionEnded, match="not acknowledged"):
        client.due()


@pytest.mark.parametrize("seed", range(12))
def test_everything_arrives_once_in_order_through_loss_reordering_and_duplicates(
    seed: int,
) -> None:
    """Both directions through a link that drops, duplicates and reorders messages and acks."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    clock = Clock()
    client, agent = _pair(clock, window=16)
    to_send = {id(client): [f"c{i}".encode() for i in range(300)]}
    to_send[id(agent)] = [f"a{i}".encode() for i in range(300)]
    delivered: dict[int, list[bytes]] = {id(client): [], id(agent): []}
    link: list[tuple[ReliableStream, ClientMessage]] = []  # (receiver, message)

    def put(receiver: ReliableStream, message: ClientMessage) -> None:
        if rng.random() < 0.2:
            return  # lost
        link.append((receiver, message))
        if rng.random() < 0.1:
            link.append((receiver, message))  # duplicated

    for _ in range(100_000):
        for sender, receiver in ((client, agent), (agent, client)):
            queue = to_send[id(sender)]
            while queue and sender.can_send():
                message = sender.send(queue.pop(0))
                assert message is not None
                put(receiver, message)
            for message in sender.due():
                put(receiver, message)
        rng.shuffle(link)
        batch, link[:] = link[: rng.randrange(0, 8)], link[8:]
        for receiver, message in batch:
            if message.message_type == "acknowledge":
                receiver.acknowledged(_acked_sequence(message))
                continue
            receipt = receiver.receive(message)
            delivered[id(receiver)].extend(d.payload for d in receipt.deliver)
            sender = agent if receiver is client else client
            if receipt.ack is not None:
                put(sender, receipt.ack)
        clock.now += 0.05
        done = all(not q for q in to_send.values())
        if done and client.unacked_count == 0 and agent.unacked_count == 0:
            break
    assert delivered[id(agent)] == [f"c{i}".encode() for i in range(300)]
    assert delivered[id(client)] == [f"a{i}".encode() for i in range(300)]
