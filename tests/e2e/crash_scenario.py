"""Users talk to the platform while it is SIGKILLed at random moments; then every message they
sent is checked for its reply. Shared by `test_crash_kill.py` (CI-sized) and `bench/crash.py`.

The scenario
------------
N sandbox users each send M messages to the bot in private, at about 1.1 a second with random
gaps (within the inbound throttle's rule of 10 at once then 1 a second, so nothing may be
refused as a flood). A third of them are notes: plain text, captured by the notes app, each
answered by a confirmation question sent as a reply to it (every user has a forum group bound,
with its starter topics). The rest are commands, alternating a command whose reply names the
message (`/start <code>`, `/find <word>`, or an unknown `/x<code>`, each echoed in the reply)
with one whose reply does not (`/help`, `/language`, `/recent`, `/tags`, `/privacy`, `/bind` in
private, `/autofile` without a number, `/stats` from a user who is not an owner, in turn).
Some users (`binders`) bind their group during the run instead of before it: `/bind` in the
group, then a tap on "create starter topics", which makes the bot create six forum topics.

Meanwhile the platform process (`switchboard run`, polling the sandbox; see `platform_forks`) is
SIGKILLed K times and restarted at once. Kill moments are random, of three kinds: a random
time after the restarted process started polling (or, now and then, during its start-up); the
instant the bot posts its n-th message after that (the kill lands while the sendMessage is being
answered: the user has the reply, the process never learns it went out); and, for the first
kill when there are binders, the instant the bot creates its first starter topic. After the
last kill the process runs until every message is answered (or nothing is in flight any more:
the bot's update queue empty, no job pending but notes' expiries, no message for 3 s); then it
is stopped with SIGTERM.

How replies are attributed to sent messages
--------------------------------------------
Everything the bot posted is logged as the sandbox stores it (`delivered.Delivered`).

- A note's confirmation replies to the note (`reply_to_message`), so a note's replies are
  exactly the bot's messages that reply to it. A note also needs its row in the database
  (`notes.capture_message_ids`); a note with no confirmation or no row is lost.
- A command's reply is a plain message (no reply_to): it is classified by its text and matched
  to the commands in the order sent, exactly for the echoing ones, by the order of replies in
  the chat for the others (see `reply_matching`). A reply that fits no command sent by that user
  (an apology, a throttle notice, a "no topics") is `unexpected`.
- `/bind` in the group gets two messages (done, and the starter offer); each counts.
- Created objects: every forum topic in the sandbox's world, counted by name per group; a
  name twice in one group is a doubled object. A binder's group missing a starter topic in the
  end counts as a lost object.

Counts: `lost` = sent messages with no reply (or a note without its row); `doubled` = replies
beyond the first, summed over sent messages; `objects_doubled` = topics beyond the first per
(group, name). Targets (issue 11): lost == 0, doubled <= kills, objects_doubled == 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from switchboard.apps.notes.forum import STARTER_TOPICS
from switchboard.apps.notes.models import Note
from switchboard.apps.notes.service import EXPIRE_JOB
from switchboard.db import create_engine, session_factory
from switchboard.kernel.jobs.models import Job
from switchboard.kernel.models import OutboxMessage
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot
from .delivered import Delivered, Received
from .notes_scene import is_note_tap
from .platform_forks import PlatformForks, platform_env
from .reply_matching import ECHOING, SILENT, Signature, align, classify

Json = dict[str, Any]

NOTE_TEXTS = (
    "Buy milk, eggs and bread at the supermarket",
    "Idea: an app that reminds me to water the plants",
    "Read the article about deep sea creatures",
    "Call the dentist on Monday about the filling",
    "Book train tickets to Berlin for the conference",
    "Remember to renew the passport before summer",
    "Recipe: lentil soup with lemon and cumin",
    "Fix the squeaky door in the hallway",
)
STARTERS = [name for name, _ in STARTER_TOPICS["en"]]
# Seconds for a job whose worker was killed to be taken over (the setting's default is 60).
JOB_LEASE_SECONDS = "6"
# Seconds before a call a killed process left in flight is repeated (the default is 30).
OUTBOX_LEASE_SECONDS = "2"
# The sandbox is on loopback: a request reaches it within milliseconds, so the limiter's margin
# for network jitter (0.2 s by default, for Telegram over the internet) can be the library's
# 0.05 s. A user's replies then come at 1 per 1.05 s instead of 1.2 s: the run is shorter, and
# the sandbox still counts every 429 (none is expected).
FLOOD_SAFETY_MARGIN = "0.05"
# Alembic's context is one per process: scenarios run side by side migrate one at a time. One
# lock per event loop (each test has its own loop, and an asyncio lock belongs to one).
_MIGRATING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _migrating() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _MIGRATING.get(loop)
    if lock is None:
        lock = _MIGRATING[loop] = asyncio.Lock()
    return lock


@dataclass(frozen=True)
class CrashConfig:
    users: int = 10
    messages: int = 30  # per user
    kills: int = 8
    binders: int = 2  # users who /bind and create starter topics during the run
    gap: tuple[float, float] = (0.55, 1.25)  # seconds between a user's messages
    drain_seconds: float = 120.0


@dataclass
class Sent:
    user: int
    chat_id: int
    kind: str  # note, forum-bind (/bind in the group), or a command (ECHOING + SILENT)
    code: str | None  # what the reply echoes, for notes and echoing commands
    text: str
    message_id: int = 0
    at: float = 0.0  # time.monotonic() just before it was sent


@dataclass
class Kill:
    kind: str
    after: float  # seconds since the run began
    note: str = ""


@dataclass
class CrashReport:
    database: str
    seed: int
    config: CrashConfig
    sent: int = 0
    kills: list[Kill] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)  # one entry per extra reply
    objects_doubled: list[str] = field(default_factory=list)
    objects_lost: list[str] = field(default_factory=list)
    rows_doubled: list[str] = field(default_factory=list)
    unexpected: Counter[str] = field(default_factory=Counter)
    ambiguous: list[str] = field(default_factory=list)
    rejected_429: int = 0  # the sandbox's flood refusals (a restarted limiter starts empty)
    seconds: float = 0.0
    setup_seconds: float = 0.0  # database, first start, forums bound
    run_seconds: float = 0.0  # users sending, kills
    drain_seconds: float = 0.0  # after both, until everything is answered
    drained: bool = False  # everything was answered
    exit_codes: list[int | None] = field(default_factory=list)
    dead_jobs: list[str] = field(default_factory=list)  # buried: what a lost reply may be

    @property
    def most_doubled_in_a_chat(self) -> int:
        chats = Counter(entry.split(" ", 2)[1] for entry in self.doubled)
        return max(chats.values(), default=0)

    @property
    def targets(self) -> list[tuple[str, bool]]:
        kills = len(self.kills)
        lost = len(self.lost) + len(self.objects_lost)
        return [
            (
                f"lost {len(self.lost)} of {self.sent} messages and {len(self.objects_lost)} "
                "created objects (target 0)",
                lost == 0,
            ),
            (
                # What a kill can double is a call between its request and its outbox
                # row's deletion; those calls take turns per bot (`send_turns`), so a kill
                # finds at most one (Telegram has no idempotency key to do better).
                f"doubled {len(self.doubled)} replies (at most {self.most_doubled_in_a_chat} in"
                f" one chat), kills {kills} (target: doubled <= kills)",
                len(self.doubled) <= kills,
            ),
            (
                f"created objects doubled {len(self.objects_doubled)} (target 0)",
                not self.objects_doubled,
            ),
        ]

    def summary(self) -> str:
        c = self.config
        kinds = Counter(kill.kind for kill in self.kills)
        unexpected = ", ".join(f"{k} x{n}" for k, n in self.unexpected.most_common()) or "none"
        return (
            f"crash {self.database} seed {self.seed}: {c.users} users x {c.messages} messages "
            f"({self.sent} sent), kills {len(self.kills)} ({dict(kinds)}): "
            f"lost {len(self.lost)}, doubled {len(self.doubled)}, "
            f"objects doubled {len(self.objects_doubled)}, objects lost {len(self.objects_lost)}, "
            f"note rows doubled {len(self.rows_doubled)}, unexpected: {unexpected}, "
            f"ambiguous {len(self.ambiguous)}, 429s {self.rejected_429}, "
            f"all answered {self.drained}; {self.seconds:.0f} s "
            f"(setup {self.setup_seconds:.0f} s, run {self.run_seconds:.0f} s, "
            f"drain {self.drain_seconds:.0f} s)"
        )

    def details(self, limit: int = 12) -> str:
        lines = []
        for title, items in (
            ("lost", self.lost),
            ("doubled", self.doubled),
            ("objects doubled", self.objects_doubled),
            ("objects lost", self.objects_lost),
            ("note rows doubled", self.rows_doubled),
            ("ambiguous", self.ambiguous),
            ("dead jobs", self.dead_jobs),
        ):
            if items:
                lines.append(f"{title} ({len(items)}): " + "; ".join(items[:limit]))
        lines.append("kills: " + ", ".join(f"{k.kind}@{k.after:.1f}s{k.note}" for k in self.kills))
        return "\n".join(lines)


# --- what users send --------------------------------------------------------------------------


def plan_user(rng: random.Random, seed: int, index: int, count: int) -> list[tuple[str, str]]:
    """(kind, text) for one user's `count` messages: a third notes, the rest commands, echoing
    ones with a silent one every second (or, when there are more commands than SILENT has
    kinds, every third or fourth) command, rotating through SILENT: so no silent kind comes
    twice in a user's run, and a reply naming only its kind fits one command of the user."""
    notes = count // 3
    rotation = rng.randrange(len(SILENT))
    total = count - notes
    every = max(2, -(-total // len(SILENT)))  # silent commands <= len(SILENT)
    commands: list[tuple[str, str]] = []
    for i in range(total):
        code = f"k{seed}u{index:02d}c{i:02d}"
        if i % every != every - 1:
            kind = rng.choice(ECHOING)
            text = {"start": f"/start {code}", "find": f"/find {code}", "unknown": f"/x{code}"}[
                kind
            ]
        else:
            kind = SILENT[(rotation + i // every) % len(SILENT)]
            text = f"/{kind}"
        commands.append((kind, text))
    note_slots = set(rng.sample(range(count), notes))
    plan, pending = [], iter(commands)
    for slot in range(count):
        if slot in note_slots:
            plan.append(("note", f"{rng.choice(NOTE_TEXTS)} (n{seed}u{index:02d}m{slot:02d})"))
        else:
            plan.append(next(pending))
    return plan


def command_code(kind: str, text: str) -> str | None:
    if kind == "unknown":
        return text[2:]
    if kind in {"start", "find"}:
        return text.split()[1]
    return None


# --- the run ----------------------------------------------------------------------------------


class KillSwitch:
    """A sandbox watcher that SIGKILLs a process the instant an event matches (in the sandbox's
    thread, while the bot's request is still being answered)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._matches: Callable[[Json], bool] | None = None
        self.fired = threading.Event()
        self.what = ""

    def arm(self, pid: int, matches: Callable[[Json], bool]) -> None:
        with self._lock:
            self.fired.clear()
            self._pid, self._matches = pid, matches

    def disarm(self) -> None:
        with self._lock:
            self._pid = self._matches = None

    def __call__(self, event: Json) -> None:
        with self._lock:
            if self._pid is None or self._matches is None or not self._matches(event):
                return
            pid, self._pid, self._matches = self._pid, None, None
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        message = event.get("message", {})
        self.what = str(message.get("text") or message.get("forum_topic_created", {}).get("name"))
        self.fired.set()


def _bot_message(event: Json) -> bool:
    return event["type"] == "message" and event["message"].get("from", {}).get("id") == BOT_ID


def _nth_bot_message(n: int) -> Callable[[Json], bool]:
    seen = 0

    def matches(event: Json) -> bool:
        nonlocal seen
        if _bot_message(event):
            seen += 1
        return seen >= n

    return matches


def _topic_created_in(chats: set[int]) -> Callable[[Json], bool]:
    def matches(event: Json) -> bool:
        return (
            _bot_message(event)
            and event["chat_id"] in chats
            and "forum_topic_created" in event["message"]
        )

    return matches


async def wait_until(condition: Callable[[], Any], seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def make_forum(tg: SandboxClient, user: Json) -> int:
    chat = await tg.create_group(user, f"Notes of {user['first_name']}", forum=True)
    rights = {"can_manage_topics": True, "can_delete_messages": True}
    await tg.add_member(chat, user, BOT_ID, status="administrator", rights=rights)
    return int(chat["id"])


async def bind(
    tg: SandboxClient,
    sandbox: SandboxServer,
    delivered: Delivered,
    user: Json,
    chat_id: int,
    seconds: float,
) -> None:
    """/bind in the forum, tap the starter offer, wait (up to `seconds`) for six topics."""
    await tg.send_text(user, "/bind", chat_id=chat_id)
    offer = await delivered.wait_for(
        lambda m: m.chat_id == chat_id and any(d.startswith("nstart:") for d in m.callbacks),
        f"the starter offer in {chat_id}",
        seconds,
    )
    data = next(d for d in offer.callbacks if d.startswith("nstart:"))
    await tg.press(user, offer.message, data)
    world_chat = sandbox.world.chats[chat_id]
    await wait_until(lambda: len(world_chat.topics) >= len(STARTERS), seconds)


async def _count_notes(database_url: str) -> Counter[tuple[int, int]]:
    """Note rows per captured (chat, message)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(Note.capture_chat_id, Note.capture_message_ids).where(Note.bot_id == BOT_ID)
            )
            found: Counter[tuple[int, int]] = Counter()
            for chat_id, message_ids in rows:
                for message_id in message_ids:
                    found[(int(chat_id), int(message_id))] += 1
            return found
    finally:
        await engine.dispose()


async def dead_jobs(database_url: str) -> list[str]:
    """Jobs buried (out of attempts): kind, attempts and the last error's last line."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(Job.kind, Job.attempts, Job.last_error).where(Job.state == "dead")
            )
            return [
                f"{kind} after {attempts} attempts: "
                + ((error or "").strip().splitlines() or [""])[-1][:120]
                for kind, attempts, error in rows
            ]
    finally:
        await engine.dispose()


async def jobs_pending(database_url: str) -> int:
    """Jobs running or waiting to run, leaving out notes' expiries (ten minutes away), and
    calls left in the outbox."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            pending = Job.state.in_(["queued", "running"]) & (Job.kind != EXPIRE_JOB)
            jobs = await session.scalar(select(func.count()).select_from(Job).where(pending))
            # Bot API calls a killed process left in flight, which the courier repeats.
            calls = await session.scalar(select(func.count()).select_from(OutboxMessage))
            return int(jobs or 0) + int(calls or 0)
    finally:
        await engine.dispose()


def _answered(sent: list[Sent], delivered: Delivered) -> bool:
    """A quick check for the drain: every note has a reply, every chat as many command
    replies as it was sent commands, every /bind its two messages."""
    messages = list(delivered.messages)
    replied = {(m.chat_id, m.reply_to) for m in messages if m.reply_to is not None}
    plain: Counter[int] = Counter(
        m.chat_id
        for m in messages
        if m.reply_to is None and not classify(m.text)[0].startswith("unexpected")
    )
    wanted: Counter[int] = Counter()
    for item in sent:
        if item.kind == "note":
            if (item.chat_id, item.message_id) not in replied:
                return False
        elif item.kind == "forum-bind":
            if sum(1 for m in messages if m.chat_id == item.chat_id and m.text) < 2:
                return False
        else:
            wanted[item.chat_id] += 1
    return all(plain[chat] >= count for chat, count in wanted.items())


async def run_crash_scenario(
    database_url: str,
    database: str,
    forks: PlatformForks,
    config: CrashConfig,
    seed: int,
    log_dir: Path,
) -> CrashReport:
    report = CrashReport(database, seed, config)
    rng = random.Random(seed)
    log = log_dir / f"platform-{database}-{seed}.log"
    began = time.monotonic()
    with SandboxServer(flood="telegram") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN, first_name="Crash Bot", username="crash_bot")
        delivered = Delivered(BOT_ID)
        switch = KillSwitch()
        sandbox.watch(delivered)
        sandbox.watch(switch)
        async with _migrating():
            await register_bot(database_url)
        env = platform_env(
            database_url,
            sandbox.url,
            JOB_LEASE_SECONDS=JOB_LEASE_SECONDS,
            OUTBOX_LEASE_SECONDS=OUTBOX_LEASE_SECONDS,
            FLOOD_SAFETY_MARGIN=FLOOD_SAFETY_MARGIN,
        )
        pid = forks.start(env, log)
        started_at = time.monotonic()
        async with sandbox.client(timeout=30) as tg:
            users = [
                await tg.create_user(f"User{i}", language_code="en") for i in range(config.users)
            ]
            groups = {int(u["id"]): await make_forum(tg, u) for u in users}
            binders = users[: config.binders]
            # Everyone else binds before the kills begin, so their notes can be confirmed.
            await asyncio.gather(
                *(
                    bind(tg, sandbox, delivered, u, groups[int(u["id"])], 60)
                    for u in users[config.binders :]
                )
            )
            sent: list[Sent] = []
            run_began = time.monotonic()
            report.setup_seconds = run_began - began

            async def user_stream(index: int, user: Json) -> None:
                user_rng = random.Random(f"{seed}:{index}")
                plan = plan_user(user_rng, seed, index, config.messages)
                if index < config.binders:
                    chat_id = groups[int(user["id"])]
                    item = Sent(int(user["id"]), chat_id, "forum-bind", None, "/bind")
                    sent.append(item)
                    # No offer coming is counted as lost below; the user goes on anyway.
                    with contextlib.suppress(AssertionError):
                        await bind(tg, sandbox, delivered, user, chat_id, 45)
                for kind, text in plan:
                    at = time.monotonic()
                    message = await tg.send_text(user, text, bot_id=BOT_ID)
                    code = text if kind == "note" else command_code(kind, text)
                    sent.append(
                        Sent(int(user["id"]), int(user["id"]), kind, code, text,
                             int(message["message_id"]), at)
                    )  # fmt: skip
                    await asyncio.sleep(user_rng.uniform(*config.gap))

            async def kill_loop() -> None:
                nonlocal pid, started_at
                binder_chats = {groups[int(u["id"])] for u in binders}
                for number in range(config.kills):
                    choice = rng.random()
                    if number == 0 and binder_chats:
                        kind = "topic"
                    elif choice < 0.1:
                        kind = "start-up"
                    elif choice < 0.55:
                        kind = "send"
                    else:
                        kind = "time"
                    note = ""
                    if kind == "start-up":
                        await asyncio.sleep(rng.uniform(0.2, 1.2))
                    else:
                        await wait_until(partial(delivered.polling_since, started_at), 90)
                        if kind == "time":
                            await asyncio.sleep(rng.uniform(0.2, 2.0))
                        else:
                            n = rng.randint(1, 6)
                            matches = (
                                _topic_created_in(binder_chats)
                                if kind == "topic"
                                else _nth_bot_message(n)
                            )
                            switch.arm(pid, matches)
                            patience = 30 if kind == "topic" else 6
                            fired = await wait_until(switch.fired.is_set, patience)
                            switch.disarm()
                            note = f" ({switch.what[:24]!r})" if fired else " (timed out)"
                    await asyncio.to_thread(forks.kill, pid)
                    report.exit_codes.append(forks.returncode(pid))
                    report.kills.append(Kill(kind, time.monotonic() - run_began, note))
                    pid = forks.start(env, log)
                    started_at = time.monotonic()

            await asyncio.gather(kill_loop(), *(user_stream(i, u) for i, u in enumerate(users)))
            report.run_seconds = time.monotonic() - run_began
            drain_began = time.monotonic()
            report.drained = await drain(
                sandbox,
                delivered,
                database_url,
                partial(_answered, sent, delivered),
                config.drain_seconds,
            )
            report.drain_seconds = time.monotonic() - drain_began
            report.exit_codes.append(await asyncio.to_thread(forks.stop, pid))
            report.rejected_429 = sandbox.world.flood.rejected
            notes = await _count_notes(database_url)
            report.dead_jobs = await dead_jobs(database_url)
            tally(report, sent, delivered, notes, sandbox, groups, binders)
    report.seconds = time.monotonic() - began
    return report


async def drain(
    sandbox: SandboxServer,
    delivered: Delivered,
    database_url: str,
    answered: Callable[[], bool],
    seconds: float,
) -> bool:
    """Wait until `answered()`, or until nothing is left in flight (no update waiting in the
    bot's queue, no job pending, no message from the bot for 3 s), at most `seconds`; then
    one more second for a last (doubled) reply on its way. Whether all was answered."""
    began = time.monotonic()
    queue = sandbox.world.bots[BOT_ID].queue
    done = False
    while time.monotonic() - began < seconds:
        if not queue.items and await jobs_pending(database_url) == 0:
            if answered():
                done = True
                break
            last = delivered.messages[-1].at if delivered.messages else began
            if time.monotonic() - last > 3.0:
                break  # nothing more is coming: what is missing is lost
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)
    return done


def tally(
    report: CrashReport,
    sent: list[Sent],
    delivered: Delivered,
    notes: Counter[tuple[int, int]],
    sandbox: SandboxServer,
    groups: dict[int, int],
    binders: list[Json],
) -> None:
    report.sent = len(sent)
    messages = list(delivered.messages)
    by_user: dict[int, list[Sent]] = {}
    for item in sent:
        by_user.setdefault(item.user, []).append(item)
    for user_id, items in by_user.items():
        private = [m for m in messages if m.chat_id == user_id]
        note_ids = {i.message_id for i in items if i.kind == "note"}
        # Notes: the bot's replies to each.
        for item in (i for i in items if i.kind == "note"):
            confirmations = [
                m
                for m in private
                if m.reply_to == item.message_id and any(is_note_tap(d) for d in m.callbacks)
            ]
            rows = notes.get((user_id, item.message_id), 0)
            label = f"user {user_id} note {item.message_id}"
            if not confirmations or rows == 0:
                report.lost.append(f"{label} ({len(confirmations)} replies, {rows} rows)")
            report.doubled.extend([f"{label}: confirmation"] * (len(confirmations) - 1))
            report.rows_doubled.extend([label] * (rows - 1))
        for m in private:
            if m.reply_to is not None and not (
                m.reply_to in note_ids and any(is_note_tap(d) for d in m.callbacks)
            ):
                report.unexpected[f"reply to {m.reply_to}: {m.text[:30]!r}"] += 1
        _tally_commands(report, user_id, items, private)
        # /bind in the group: "done" and the starter offer.
        for item in (i for i in items if i.kind == "forum-bind"):
            in_group = [m for m in messages if m.chat_id == item.chat_id and m.text]
            done = sum(1 for m in in_group if m.text.startswith("Done! I'll file your notes"))
            offers = sum(1 for m in in_group if any(d.startswith("nstart:") for d in m.callbacks))
            label = f"user {user_id} /bind in {item.chat_id}"
            if done == 0 or offers == 0:
                report.lost.append(f"{label} (done {done}, offers {offers})")
            report.doubled.extend([f"{label}: done"] * (done - 1))
            report.doubled.extend([f"{label}: offer"] * (offers - 1))
    # Created objects: forum topics by name, per group.
    binder_ids = {int(u["id"]) for u in binders}
    for user_id, chat_id in groups.items():
        names = Counter(t.name for t in list(sandbox.world.chats[chat_id].topics.values()))
        for name, count in names.items():
            if count > 1:
                report.objects_doubled.extend([f"topic {name!r} in {chat_id}"] * (count - 1))
        if user_id in binder_ids:
            report.objects_lost.extend(
                f"topic {name!r} in {chat_id}" for name in STARTERS if name not in names
            )


def _tally_commands(
    report: CrashReport, user_id: int, items: list[Sent], private: list[Received]
) -> None:
    """A user's commands: the bot's plain replies in the chat, aligned to the commands in the
    order sent; a reply may answer only a command sent before it arrived."""
    commands = [i for i in items if i.kind not in {"note", "forum-bind"}]
    expected = [(i.kind, i.code) for i in commands]
    replies: list[Signature] = []
    arrivals: list[float] = []
    for m in private:
        if m.reply_to is not None:
            continue
        signature = classify(m.text)
        if any(e == signature and c.at < m.at for e, c in zip(expected, commands, strict=True)):
            replies.append(signature)
            arrivals.append(m.at)
        elif signature in expected:
            report.unexpected[f"{signature[0]} before its command was sent"] += 1
        else:
            report.unexpected[signature[0]] += 1
    alignment = align(expected, replies, lambda i, j: commands[j].at < arrivals[i])
    for reply, places in alignment.ambiguous:
        report.ambiguous.append(
            f"user {user_id} reply {reply} ({replies[reply][0]}) fits commands "
            + ", ".join(f"{commands[p].text!r} ({commands[p].message_id})" for p in places)
        )
    for item, count in zip(commands, alignment.counts, strict=True):
        label = f"user {user_id} {item.text!r} ({item.message_id})"
        if count == 0:
            report.lost.append(label)
        report.doubled.extend([label] * (count - 1))
