"""The agent ledger: at-most-once starts and an outbox of results kept until acknowledged."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from openssm.agent.ledger import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger.db")


def test_record_started_is_true_once_per_command(ledger: Ledger) -> None:
    assert ledger.record_started("c-1")
    assert not ledger.record_started("c-1")
    assert ledger.record_started("c-2")
    assert ledger.was_started("c-1")
    assert not ledger.was_started("c-3")


def test_started_ids_survive_reopening(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db") as first:
        first.record_started("c-1")
        first.put_result("c-1", '{"status": "Success"}')
    with Ledger(tmp_path / "ledger.db") as second:
        assert not second.record_started("c-1")
        assert [r.command_id for r in second.pending_results()] == ["c-1"]


def test_pending_results_are_oldest_first_until_acked(ledger: Ledger) -> None:
    ledger.put_result("c-2", "two", now=20.0)
    ledger.put_result("c-1", "one", now=10.0)
    assert [(r.command_id, r.payload) for r in ledger.pending_results()] == [
        ("c-1", "one"),
        ("c-2", "two"),
    ]
    assert ledger.ack_result("c-1")
    assert [r.command_id for r in ledger.pending_results()] == ["c-2"]


def test_ack_result_is_false_for_unknown_or_already_acked(ledger: Ledger) -> None:
    assert not ledger.ack_result("nope")
    ledger.put_result("c-1", "x")
    assert ledger.ack_result("c-1")
    assert not ledger.ack_result("c-1")


def test_stored_result_answers_a_redelivery_after_ack(ledger: Ledger) -> None:
    ledger.put_result("c-1", "result-1")
    ledger.ack_result("c-1")
    assert ledger.stored_result("c-1") == "result-1"
    assert ledger.stored_result("c-9") is None


def test_put_result_again_replaces_and_makes_pending(ledger: Ledger) -> None:
    ledger.put_result("c-1", "first")
    ledger.ack_result("c-1")
    ledger.put_result("c-1", "second")
    assert [(r.command_id, r.payload) for r in ledger.pending_results()] == [("c-1", "second")]


def test_prune_forgets_old_acked_entries_but_never_pending_ones(ledger: Ledger) -> None:
    ledger.record_started("old-acked", now=1.0)
    ledger.put_result("old-acked", "a", now=1.0)
    ledger.ack_result("old-acked", now=2.0)
    ledger.record_started("old-pending", now=1.0)
    ledger.put_result("old-pending", "p", now=1.0)
    ledger.record_started("new", now=100.0)
    assert ledger.prune(older_than=50.0) == 2
    assert not ledger.was_started("old-acked")
    assert ledger.was_started("old-pending")
    assert ledger.was_started("new")
    assert [r.command_id for r in ledger.pending_results()] == ["old-pending"]


def test_ledger_uses_wal_and_a_private_file(tmp_path: Path, ledger: Ledger) -> None:
    mode = ledger._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600


def test_ledger_refuses_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    target.write_bytes(b"")
    (tmp_path / "ledger.db").symlink_to(target)
    with pytest.raises(PermissionError, match="symlink"):
        Ledger(tmp_path / "ledger.db")


def test_a_resume_point_survives_reopening_and_is_taken_once(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db") as first:
        first.record_started("c-1")
        first.record_resume("c-1", 2, "[]")
    with Ledger(tmp_path / "ledger.db") as second:
        assert second.waiting_resumes() == ["c-1"]
        taken = second.take_resume("c-1")
        assert taken is not None
        assert (taken.resume_at, taken.steps) == (2, "[]")
    with Ledger(tmp_path / "ledger.db") as third:
        # A crash while the resumed run ran must not run its steps once more.
        assert third.take_resume("c-1") is None
        assert third.waiting_resumes() == []


def test_a_second_reboot_of_a_command_records_its_new_resume_point(ledger: Ledger) -> None:
    ledger.record_resume("c-1", 1, "[]")
    assert ledger.take_resume("c-1") is not None
    ledger.record_resume("c-1", 3, '["x"]')
    taken = ledger.take_resume("c-1")
    assert taken is not None
    assert (taken.resume_at, taken.steps) == (3, '["x"]')


def test_prune_forgets_old_resume_points(ledger: Ledger) -> None:
    ledger.record_resume("c-old", 1, "[]", now=10.0)
    ledger.record_resume("c-new", 1, "[]", now=100.0)
    assert ledger.prune(older_than=50.0) == 1
    assert ledger.waiting_resumes() == ["c-new"]


def test_an_acknowledgement_leaves_starts_and_results_synced_in_full(ledger: Ledger) -> None:
    ledger.record_started("c-1")
    ledger.put_result("c-1", "one")
    assert ledger.ack_result("c-1")
    # 2 is FULL: the next start is on disk before its command runs (DESIGN §4).
    assert ledger._db.execute("PRAGMA synchronous").fetchone() == (2,)


def test_a_second_agent_process_on_the_same_ledger_is_refused(tmp_path: Path) -> None:
    # The ledger holds its lock while open: two agents on one state directory would each
    # run every command once.
    script = (
        "import sys; from pathlib import Path; from openssm.agent.ledger import Ledger; "
        "Ledger(Path(sys.argv[1]), lock_wait_s=0.1)"
    )
    with Ledger(tmp_path / "ledger.db") as first:
        first.record_started("c-1")
        second = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "ledger.db")],
            capture_output=True,
            text=True,
            check=False,
        )
    assert second.returncode != 0
    assert "is in use by another agent process" in second.stderr
    assert not (tmp_path / "ledger.db-shm").exists()
    with Ledger(tmp_path / "ledger.db") as again:
        assert again.was_started("c-1")
