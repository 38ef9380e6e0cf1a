"""``{{ssm-secure:}}`` values never reach the output, however the output is cut into pieces."""

from __future__ import annotations

import itertools

import pytest

from openssm.agent.run.masking import MASK, SecretMasker, masker_for

SECRET = "s3cret-value"


def _through(masker: SecretMasker, pieces: list[str]) -> str:
    return "".join(masker.feed(piece) for piece in pieces) + masker.flush()


def test_a_secret_in_one_piece_is_masked() -> None:
    masker = SecretMasker([SECRET])
    assert _through(masker, [f"password={SECRET}\n"]) == f"password={MASK}\n"


@pytest.mark.parametrize("cut", range(1, len(SECRET)))
def test_a_secret_cut_between_two_pieces_is_masked(cut: int) -> None:
    text = f"before {SECRET} after"
    at = len("before ") + cut
    masker = SecretMasker([SECRET])
    assert _through(masker, [text[:at], text[at:]]) == f"before {MASK} after"


def test_a_secret_fed_one_letter_at_a_time_is_masked() -> None:
    text = f"x{SECRET}y{SECRET}"
    assert _through(SecretMasker([SECRET]), list(text)) == f"x{MASK}y{MASK}"


def test_nothing_of_a_secret_is_emitted_before_it_is_known_not_to_be_one() -> None:
    masker = SecretMasker([SECRET])
    emitted = masker.feed("log: s3cr")
    assert emitted == "log: "
    assert masker.held == len("s3cr")
    assert masker.feed("eam\n") == "s3cream\n"


def test_text_that_cannot_start_a_secret_is_not_held_back() -> None:
    masker = SecretMasker([SECRET])
    assert masker.feed("hello\n") == "hello\n"
    assert masker.held == 0


def test_a_secret_that_contains_another_is_masked_whole() -> None:
    masker = SecretMasker(["abc", "xabcx"])
    assert _through(masker, ["1 xab", "cx 2 abc"]) == f"1 {MASK} 2 {MASK}"


def test_a_complete_short_secret_waits_while_it_may_be_a_longer_one() -> None:
    masker = SecretMasker(["pass", "password"])
    assert masker.feed("pass") == ""
    assert masker.feed("word!") == f"{MASK}!"
    assert masker.feed(" pass") == " "
    assert masker.flush() == MASK


def test_regex_characters_in_a_secret_are_literal() -> None:
    masker = SecretMasker(["a.b*c"])
    assert _through(masker, ["axbbc a.b*c"]) == f"axbbc {MASK}"


def test_empty_secrets_are_ignored_and_no_secrets_means_no_change() -> None:
    assert _through(SecretMasker(["", ""]), ["plain", " text"]) == "plain text"


def test_every_split_of_two_adjacent_secrets_is_masked() -> None:
    text = f"{SECRET}{SECRET}"
    for a, b in itertools.combinations(range(1, len(text)), 2):
        masker = SecretMasker([SECRET])
        assert _through(masker, [text[:a], text[a:b], text[b:]]) == MASK * 2, (a, b)


def test_mask_replaces_every_occurrence_in_a_whole_string() -> None:
    masker = SecretMasker([SECRET])
    assert masker.mask(f"{SECRET}/{SECRET}") == f"{MASK}/{MASK}"


def test_maskers_of_no_secrets_are_one_and_keep_nothing_back() -> None:
    shared = masker_for(())
    assert masker_for(["", ""]) is shared
    assert _through(shared, [SECRET[:3], "x"]) == SECRET[:3] + "x"
    assert shared.held == 0
    first, second = masker_for([SECRET]), masker_for([SECRET])
    assert first is not second
    assert first.feed(SECRET[:3]) == ""  # held back: it may be the start of a secret
    assert (first.held, second.held) == (3, 0)
