import random

import pytest

from sfsim.ids import (
    KEY_PREFIXES,
    InvalidIdError,
    is_valid_id,
    new_id,
    normalize_id,
    sobject_of,
    to18,
)


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
        ("001M000000qfPyS", "001M000000qfPySIAU"),
    ],
)
def test_published_vectors(id15, id18):
    assert to18(id15) == id18
    assert normalize_id(id15) == id18
    assert normalize_id(id18) == id18


def test_all_lower_and_all_upper_chunks():
    assert to18("000000000000000") == "000000000000000AAA"
    assert to18("AAAAAAAAAAAAAAA") == "AAAAAAAAAAAAAAA555"


def test_normalize_repairs_case_mangled_18():
    assert normalize_id("001m000000qfpysiau") == "001M000000qfPySIAU"


@pytest.mark.parametrize("bad", ["", "001", "001M000000qfPyS-", "001M000000qfPySIA!", "001M000000qfPySI"])
def test_malformed_ids_rejected(bad):
    with pytest.raises(InvalidIdError):
        normalize_id(bad)


def test_new_id_counter_is_deterministic_distinct_and_valid():
    ids = {new_id("Contact", n) for n in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 18 and is_valid_id(i) and i.startswith("003") for i in ids)
    assert new_id("Contact", 7) == new_id("Contact", 7)


def test_new_id_rng():
    rng = random.Random(1)
    ids = [new_id("Event", rng) for _ in range(100)]
    assert len(set(ids)) == 100
    assert all(is_valid_id(i) and sobject_of(i) == "Event" for i in ids)


def test_sobject_of_every_prefix():
    for name, prefix in KEY_PREFIXES.items():
        expected = "ContentDocument" if prefix == "069" else name
        assert sobject_of(new_id(name, 1)) == expected
    assert KEY_PREFIXES["OpportunityContactRole"] == "00K"
    assert sobject_of("zzz000000000000") is None


def test_unknown_sobject():
    with pytest.raises(InvalidIdError):
        new_id("Nope", 1)
