"""Reading /proc/<pid>/stat (proc(5)) and walking parent links: the pure half of proctree."""

from __future__ import annotations

from openssm.agent.proctree import ProcStat, descendants, parse_stat

# A real line, with a command name holding spaces and parentheses.
STAT = (
    "4242 (my (odd) name) S 4200 4242 4242 0 -1 4194560 200 0 0 0 1 0 0 0 20 0 1 0 "
    "987654 10000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
)


def test_parse_stat_reads_past_a_name_with_spaces_and_parentheses() -> None:
    assert parse_stat(STAT) == ProcStat(
        pid=4242, state="S", ppid=4200, pgrp=4242, session=4242, start_time=987654
    )


def test_zombies_are_not_alive() -> None:
    assert not parse_stat(STAT.replace(") S ", ") Z ")).alive
    assert parse_stat(STAT).alive


def _proc(pid: int, ppid: int) -> ProcStat:
    return ProcStat(pid=pid, state="S", ppid=ppid, pgrp=pid, session=pid, start_time=pid)


def test_descendants_follow_parent_links_to_any_depth() -> None:
    table = {
        p.pid: p for p in [_proc(1, 0), _proc(10, 1), _proc(11, 10), _proc(12, 11), _proc(20, 1)]
    }
    assert descendants(table, [10]) == {10, 11, 12}
    assert descendants(table, [12]) == {12}
    assert descendants(table, [99]) == set()
    assert descendants(table, [10, 20]) == {10, 11, 12, 20}
