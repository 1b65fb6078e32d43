"""Which sent message a bot's plain reply answers: classified by its text, then matched to the
commands in the order they were sent.

Commands are mostly ones whose reply names the message (`ECHOING`: `/start <code>`, `/find
<code>`, an unknown `/x<code>`, each echoed in the reply), with now and then one whose reply
names only the command (`SILENT`, in turn, never the same kind twice for a user). For the silent
ones the order of replies in the chat decides: a chat's updates are handled one after another in
the order sent, and a process that restarts after a kill handles the chat's unclaimed updates
again from the earliest one, in order. So the chat's sequence of command replies is a
concatenation of runs, each run a stretch of consecutive commands of the sent sequence (a kill
cuts a run; the next run replays from where the claims stopped). `align` finds the explanation
with the fewest runs (dynamic programming over (reply, command)), a reply going only to a
command sent before it arrived. Every other command names itself and the silent ones are of
different kinds (`crash_scenario.plan_user`): a reply could be put elsewhere only at the cost of
more runs. A reply that two explanations with as few runs put in different places is reported as
ambiguous; the one taken continues a run where it can, else takes the earliest command, which
counts a replay as a double rather than as an answer to a later message (the cautious reading),
unless the later message would then have no reply at all: a command counts as lost only when no
explanation as good gives it one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ECHOING = ("start", "find", "unknown")  # the reply names the message
# The reply names the command only; all stateless (no /settings: it waits for a time zone).
SILENT = ("help", "language", "recent", "tags", "privacy", "bind", "autofile", "stats")

_ECHOES = (
    ("unknown", re.compile(r"I don't know the command /x(\w+)")),
    ("start", re.compile(r"through a link with the code “(\w+)”")),
    ("find", re.compile(r"(?:Nothing found|Found) for “(\w+)”")),
)
_SILENT_TEXTS = (
    ("help", ("Here's what I can do:",)),
    ("language", ("Which language should I speak?",)),
    ("recent", ("No filed notes yet.", "Your latest notes:")),
    ("tags", ("No hashtags yet.", "Your hashtags:")),
    ("privacy", ("I keep only what I need",)),
    ("bind", ("Send /bind inside the forum group",)),
    ("autofile", ("Send /autofile and a percentage",)),
    ("stats", ("Sorry, only the owner of this bot",)),
)
_OTHER_TEXTS = (
    ("throttle notice", "Whoa, that's a lot of messages"),
    ("error apology", "Sorry, something went wrong"),
    ("no topics", "Your group has no topics I know of yet"),
    ("no group", "To file notes I need your forum group"),
)

Signature = tuple[str, str | None]


def classify(text: str) -> Signature:
    """The command a plain reply answers: (kind, code) with the code for echoing commands,
    or ('unexpected: …', None)."""
    for kind, pattern in _ECHOES:
        found = pattern.search(text)
        if found:
            return kind, found.group(1)
    for kind, starts in _SILENT_TEXTS:
        if text.startswith(starts):
            return kind, None
    for name, start in _OTHER_TEXTS:
        if text.startswith(start):
            return f"unexpected: {name}", None
    return f"unexpected: {text[:40]!r}", None


@dataclass
class Alignment:
    counts: list[int]  # replies per expected position
    ambiguous: list[tuple[int, list[int]]]  # (reply, its positions in equally good explanations)
    runs: int


def align(
    expected: Sequence[Signature],
    replies: Sequence[Signature],
    possible: Callable[[int, int], bool] = lambda reply, position: True,
) -> Alignment:
    """Attribute `replies` (in order of arrival) to positions of `expected` (in order sent).

    The replies are explained as a concatenation of runs of consecutive expected positions
    (see the module docstring); among the explanations, one with the fewest runs is taken.
    Reply i may go to position j if their signatures match and `possible(i, j)` (the caller's
    check that the reply came after the message was sent); every reply must have such a
    position (the caller leaves out those that have none). `f[i][j]`: fewest runs explaining
    replies[:i + 1] with reply i at position j; `g[i][j]`: fewest further runs for the replies
    after i, given reply i at j.
    """
    counts = [0] * len(expected)
    if not replies:
        return Alignment(counts, [], 0)
    where: dict[Signature, list[int]] = {}
    for position, signature in enumerate(expected):
        where.setdefault(signature, []).append(position)
    options = [
        [j for j in where.get(reply, []) if possible(i, j)] for i, reply in enumerate(replies)
    ]
    if any(not found for found in options):
        raise ValueError("every reply must have a position it may answer")
    last = len(replies) - 1
    f: list[dict[int, int]] = [{j: 1 for j in options[0]}]
    for i in range(1, len(replies)):
        cheapest = min(f[i - 1].values())
        f.append({j: min(f[i - 1].get(j - 1, cheapest + 1), cheapest + 1) for j in options[i]})
    g: list[dict[int, int]] = [{} for _ in replies]
    g[last] = {j: 0 for j in options[last]}
    for i in range(last - 1, -1, -1):
        cheapest = min(g[i + 1].values())
        g[i] = {j: min(g[i + 1].get(j + 1, cheapest + 1), cheapest + 1) for j in options[i]}
    best = min(f[last].values())
    optimal = [[j for j in options[i] if f[i][j] + g[i][j] == best] for i in range(last + 1)]
    ambiguous = [(i, places) for i, places in enumerate(optimal) if len(places) > 1]
    # One optimal explanation: continue the run where that stays optimal, else the earliest.
    chosen: list[int] = []
    runs_so_far = 0
    for i in range(len(replies)):
        if i == 0:
            candidates = [(1, j) for j in options[0]]
        else:
            previous = chosen[-1]
            candidates = [(runs_so_far + (0 if j == previous + 1 else 1), j) for j in options[i]]
        fitting = [(runs, j) for runs, j in candidates if runs + g[i][j] == best]
        fitting.sort(key=lambda item: (item[0], item[1]))
        runs_so_far, position = fitting[0]
        chosen.append(position)
    for position in chosen:
        counts[position] += 1
    # A reply that an equally good explanation gives to a command no reply went to answers
    # that one, when the command it was taken for keeps another reply: a command counts as
    # lost only when no explanation as good as the best gives it this reply. (A silent
    # command's kind comes round again after 16 commands, so a long run has look-alikes.)
    for reply, places in ambiguous:
        taken = chosen[reply]
        if counts[taken] < 2:
            continue
        unanswered = next((p for p in places if counts[p] == 0), None)
        if unanswered is not None:
            counts[taken] -= 1
            counts[unanswered] += 1
            chosen[reply] = unanswered
    return Alignment(counts, ambiguous, best)
