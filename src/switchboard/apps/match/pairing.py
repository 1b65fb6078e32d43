"""Who meets whom in a round: pairs (or threes), never a pair that met before while another
choice exists.

Small rounds (up to `EXACT_UP_TO` members) are solved exactly: a maximum-weight matching
(networkx, Edmonds' blossom algorithm) over every possible pair, each weighted by a base value
less a penalty for every earlier meeting of the two, more for recent ones. With the base far
above any penalty, a matching without a repeated pair always outweighs one with a repeat, so a
repeat happens only when no other complete pairing exists.

Large rounds (10,000 members) cannot afford a complete graph (50 million edges): members are
shuffled and paired in order, then every pair that met before is repaired by swapping
partners with another pair where neither new pair met before. With a year of weekly history
a random pairing repeats about half a percent of pairs, and the repair clears them in a few
passes; what it cannot clear (no swap exists) is returned as a repeat.

An odd member joins the pair where they met the others least: a three, never someone left
out (they are told so). With `size` 3 the groups are built greedily, each next member the one
who met the group's members least, then improved by a local search that swaps members between
groups while that lowers the penalty of pairs who met before (with random "kicks" out of local
minima, seeded, so the same round gives the same groups): a grouping with no repeated pair is
found whenever the search can reach one, which in practice means whenever one exists for the
round sizes communities have.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence

import networkx as nx

__all__ = ["EXACT_UP_TO", "History", "make_groups", "repeats"]

EXACT_UP_TO = 300
SWAP_BUDGET = 10_000  # group pairs the threes' local search tries at most
BASE = 1_000_000
History = Mapping[frozenset[int], int]  # pair -> how recently (and how often) they met: a penalty


def _penalty(history: History, a: int, b: int) -> int:
    return history.get(frozenset((a, b)), 0)


def _exact_pairs(members: Sequence[int], history: History) -> list[list[int]]:
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(members)
    for a, b in itertools.combinations(members, 2):
        graph.add_edge(a, b, weight=BASE - _penalty(history, a, b))
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    return [sorted(pair) for pair in matching]


def _repaired_pairs(
    members: Sequence[int], history: History, rng: random.Random
) -> list[list[int]]:
    order = list(members)
    rng.shuffle(order)
    pairs = [[order[i], order[i + 1]] for i in range(0, len(order) - 1, 2)]
    for _ in range(20):  # passes
        bad = [i for i, (a, b) in enumerate(pairs) if _penalty(history, a, b)]
        if not bad:
            break
        for i in bad:
            a, b = pairs[i]
            if not _penalty(history, a, b):
                continue
            for j in rng.sample(range(len(pairs)), min(len(pairs), 200)):
                if j == i:
                    continue
                c, d = pairs[j]
                if not _penalty(history, a, c) and not _penalty(history, b, d):
                    pairs[i], pairs[j] = [a, c], [b, d]
                    break
                if not _penalty(history, a, d) and not _penalty(history, b, c):
                    pairs[i], pairs[j] = [a, d], [b, c]
                    break
    return [sorted(pair) for pair in pairs]


def _pairs(members: Sequence[int], history: History, rng: random.Random) -> list[list[int]]:
    if len(members) <= EXACT_UP_TO:
        return _exact_pairs(members, history)
    return _repaired_pairs(members, history, rng)


def make_groups(
    members: Sequence[int], history: History, size: int = 2, seed: int | None = None
) -> tuple[list[list[int]], int | None]:
    """The round's groups (each sorted), and the odd member who joined a pair as a third
    (None when the count was even or `size` is 3). Fewer than two members: no groups."""
    rng = random.Random(seed)
    people = sorted(set(members))
    if len(people) < 2:
        return [], None
    if size == 3 and len(people) >= 3:
        return _threes(people, history, rng), None
    pairs = _pairs(people, history, rng)
    paired = {m for pair in pairs for m in pair}
    odd = next((m for m in people if m not in paired), None)
    if odd is not None:
        best = min(
            range(len(pairs)),
            key=lambda i: sum(_penalty(history, odd, m) for m in pairs[i]),
        )
        pairs[best] = sorted([*pairs[best], odd])
    return pairs, odd


def _threes(people: list[int], history: History, rng: random.Random) -> list[list[int]]:
    """Groups of three (a four where the count does not divide by three): built greedily,
    then improved by swapping members between groups (`_improve_groups`)."""
    order = list(people)
    rng.shuffle(order)
    count = len(order) // 3
    leaders, rest = order[:count], order[count:]
    groups = [[leader] for leader in leaders]
    # Each group's second and third, chosen greedily by least penalty with those in it.
    for _ in range(2):
        for group in groups:
            if not rest:
                break
            pick = min(rest, key=lambda m: sum(_penalty(history, m, g) for g in group))
            rest.remove(pick)
            group.append(pick)
    for leftover in rest:  # one or two left: they join the groups they know least
        group = min(groups, key=lambda g: sum(_penalty(history, leftover, m) for m in g))
        group.append(leftover)
    return [sorted(group) for group in _improve_groups(groups, history, rng)]


def _cost(group: Sequence[int], history: History) -> int:
    return sum(_penalty(history, a, b) for a, b in itertools.combinations(group, 2))


def _best_swap(
    first: list[int], second: list[int], history: History
) -> tuple[int, int, int] | None:
    """The swap of one member of `first` with one of `second` that lowers their summed cost
    most: (gain, index in first, index in second), or None when none lowers it."""
    before = _cost(first, history) + _cost(second, history)
    best: tuple[int, int, int] | None = None
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            after = _cost([*first[:i], b, *first[i + 1 :]], history) + _cost(
                [*second[:j], a, *second[j + 1 :]], history
            )
            if after < before and (best is None or before - after > best[0]):
                best = (before - after, i, j)
    return best


def _improve_groups(
    groups: list[list[int]], history: History, rng: random.Random
) -> list[list[int]]:
    """Local search over swaps: each group that holds a pair who met before tries every swap
    of a member with another group (a sample of 200 groups in large rounds) and takes the one
    that lowers the summed penalty most; where none does, a random swap out of the group
    ("a kick") lets the search leave a local minimum. The best grouping seen is returned, so
    the result is never worse than the greedy start; `rng` makes it repeatable. The work is
    bounded (`SWAP_BUDGET` group pairs tried, about two seconds) for rounds where repeats
    cannot be avoided: there the search would otherwise kick about for long."""
    groups = [list(g) for g in groups]
    costs = [_cost(g, history) for g in groups]
    best, best_total = [list(g) for g in groups], sum(costs)
    kicks, tried = 0, 0
    max_kicks = 20 * len(groups)
    while best_total and kicks <= max_kicks and tried < SWAP_BUDGET:
        improved = False
        for i in [i for i, c in enumerate(costs) if c]:
            if not costs[i]:
                continue
            others = range(len(groups))
            if len(groups) > 200:
                others = rng.sample(range(len(groups)), 200)  # type: ignore[assignment]
            for j in others:
                if j == i:
                    continue
                tried += 1
                swap = _best_swap(groups[i], groups[j], history)
                if swap is None:
                    continue
                _, a, b = swap
                groups[i][a], groups[j][b] = groups[j][b], groups[i][a]
                costs[i], costs[j] = _cost(groups[i], history), _cost(groups[j], history)
                improved = True
                if not costs[i]:
                    break
        total = sum(costs)
        if total < best_total:
            best, best_total = [list(g) for g in groups], total
        if not improved and total:
            kicks += 1
            i = rng.choice([i for i, c in enumerate(costs) if c])
            j = rng.choice([j for j in range(len(groups)) if j != i])
            a, b = rng.randrange(len(groups[i])), rng.randrange(len(groups[j]))
            groups[i][a], groups[j][b] = groups[j][b], groups[i][a]
            costs[i], costs[j] = _cost(groups[i], history), _cost(groups[j], history)
    return best


def repeats(groups: Sequence[Sequence[int]], history: History) -> int:
    """Pairs within the groups that met before."""
    return sum(
        1
        for group in groups
        for a, b in itertools.combinations(group, 2)
        if _penalty(history, a, b)
    )
