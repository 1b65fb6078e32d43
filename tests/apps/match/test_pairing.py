"""Rounds' pairing (issue 16, item 5 and "Done when"): a round of 40 members repeated 10 times
repeats no pair while a new one was possible; odd counts make a three; threes on request;
large rounds are repaired to no repeats."""

from __future__ import annotations

import itertools
import random
from collections import Counter

from switchboard.apps.match.pairing import make_groups, repeats


def _remember(history: Counter[frozenset[int]], groups: list[list[int]]) -> None:
    for group in groups:
        for a, b in itertools.combinations(group, 2):
            history[frozenset((a, b))] += 1


def test_forty_members_ten_rounds_never_repeat_a_pair() -> None:
    members = list(range(1, 41))
    history: Counter[frozenset[int]] = Counter()
    for round_number in range(10):
        groups, odd = make_groups(members, history, seed=round_number)
        assert odd is None
        assert sorted(m for g in groups for m in g) == members
        assert repeats(groups, history) == 0, f"round {round_number + 1} repeated a pair"
        _remember(history, groups)


def test_a_pair_repeats_only_when_nothing_else_is_possible() -> None:
    history: Counter[frozenset[int]] = Counter()
    history[frozenset((1, 2))] = 1
    groups, _ = make_groups([1, 2], history)
    assert groups == [[1, 2]]  # the only choice
    groups, _ = make_groups([1, 2, 3, 4], history)
    assert repeats(groups, history) == 0


def test_seven_members_make_two_pairs_and_a_three_with_the_odd_one_in_it() -> None:
    groups, odd = make_groups(list(range(7)), {}, seed=1)
    assert sorted(len(g) for g in groups) == [2, 2, 3]
    assert odd is not None and any(odd in g and len(g) == 3 for g in groups)


def test_threes_on_request() -> None:
    groups, odd = make_groups(list(range(10)), {}, size=3, seed=2)
    assert odd is None
    assert sorted(len(g) for g in groups) == [3, 3, 4]
    assert sorted(m for g in groups for m in g) == list(range(10))


def test_a_large_round_with_a_year_of_history_is_repaired_to_no_repeats() -> None:
    rng = random.Random(5)
    members = list(range(3000))
    history: Counter[frozenset[int]] = Counter()
    for _ in range(52):  # a year of weekly rounds, random partners
        order = members[:]
        rng.shuffle(order)
        for a, b in zip(order[::2], order[1::2], strict=True):
            history[frozenset((a, b))] += 1
    groups, odd = make_groups(members, history, seed=9)
    assert odd is None and len(groups) == 1500
    assert repeats(groups, history) == 0


def _threes_rounds(count: int, rounds: int) -> list[int]:
    """Repeated pairs in each of `rounds` rounds of threes among `count` members."""
    members = list(range(1, count + 1))
    history: Counter[frozenset[int]] = Counter()
    found = []
    for round_number in range(rounds):
        groups, odd = make_groups(members, history, size=3, seed=round_number)
        assert odd is None
        assert sorted(m for g in groups for m in g) == members
        assert all(len(g) in (3, 4) for g in groups)
        found.append(repeats(groups, history))
        _remember(history, groups)
    return found


def test_threes_of_twelve_repeat_no_pair_in_three_rounds() -> None:
    # Greedy filling met a pair again in the third round although a grouping without one exists.
    assert _threes_rounds(12, 3) == [0, 0, 0]


def test_threes_of_thirty_repeat_no_pair_in_five_rounds() -> None:
    assert _threes_rounds(30, 5) == [0, 0, 0, 0, 0]


def test_threes_are_the_same_for_the_same_round() -> None:
    history: Counter[frozenset[int]] = Counter({frozenset((1, 2)): 1, frozenset((3, 4)): 1})
    first = make_groups(list(range(1, 13)), history, size=3, seed=7)
    assert make_groups(list(range(1, 13)), history, size=3, seed=7) == first
