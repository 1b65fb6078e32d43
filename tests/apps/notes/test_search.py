"""/find's search on both databases: a user's filed notes only, best match first, however
many notes other users have that match better."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.notes.models import Note
from switchboard.apps.notes.search import find_notes

BOT = 7301
ANN, BOB = 1, 2


def note(user_id: int, text: str, state: str = "filed") -> Note:
    return Note(bot_id=BOT, user_id=user_id, state=state, text=text, capture_chat_id=user_id)


async def test_a_user_finds_their_own_notes_behind_other_users_better_matches(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        # Other users' notes rank higher, and more of them than any cut-off before filtering.
        session.add_all(note(BOB, "milk milk milk") for _ in range(250))
        session.add(note(ANN, "buy milk and bread on the way home"))
        session.add(note(ANN, "milk for the cat"))
        session.add(note(ANN, "milk, still waiting for a topic", state="pending"))
        session.add(note(ANN, "nothing to do with dairy"))

    async with session_factory() as session:
        found = await find_notes(session, BOT, ANN, "milk")
        only_one = await find_notes(session, BOT, ANN, "milk", limit=1)
        elsewhere = await find_notes(session, BOT + 1, ANN, "milk")

    assert sorted(n.text for n in found) == [
        "buy milk and bread on the way home",
        "milk for the cat",
    ]
    assert {n.user_id for n in found} == {ANN}
    assert len(only_one) == 1 and only_one[0].text in {n.text for n in found}
    assert elsewhere == []  # another bot's user with the same id


async def test_the_best_match_comes_first(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        session.add(note(ANN, "a long note about many things, one of them the invoice for March"))
        session.add(note(ANN, "invoice invoice"))

    async with session_factory() as session:
        found = await find_notes(session, BOT, ANN, "invoice")

    assert [n.text for n in found] == [
        "invoice invoice",
        "a long note about many things, one of them the invoice for March",
    ]
