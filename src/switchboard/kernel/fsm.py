"""aiogram FSM storage in the database, so a conversation survives a restart.

`DatabaseStorage` keeps one `fsm_states` row per `StorageKey`. Inside the pipeline it works in
the update's own transaction (`bind_session`), so a state change commits or rolls back with the
rest of the update; elsewhere each call is its own transaction. Writes are atomic on SQLite and
PostgreSQL alike:

- setting a state or non-empty data is a single `INSERT … ON CONFLICT DO UPDATE` of that
  column, so concurrent writers of the other column are never overwritten;
- `update_data` and clearing first take the row (an upsert that locks it on PostgreSQL; SQLite
  transactions hold the database's write lock from `BEGIN IMMEDIATE`), then merge or delete,
  so two concurrent `update_data` calls both land.

The pipeline reads the states of a whole batch of updates in one query when it admits them
(`StateSnapshot`, bound per update with `use_snapshot`): aiogram's FSM middleware reads the state
of every update before any filter runs, and most updates have none, so a query per update was
the largest single cost of the pipeline. A write to a key drops it from the snapshot, so later
reads in the same update go to the database.

`make_fsm_storage` picks aiogram's own `RedisStorage` when Redis is configured (the scaled-out
deployment), else `DatabaseStorage`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, Generic, Literal, TypeVar

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db.base import utcnow
from switchboard.db.session import dialect_insert
from switchboard.kernel.fsm_models import NO_BUSINESS_CONNECTION, NO_THREAD, FsmState
from switchboard.settings import Settings

T = TypeVar("T")

__all__ = [
    "REDIS_KEY_PREFIX",
    "DatabaseStorage",
    "FsmKeyBuilder",
    "StateSnapshot",
    "bind_session",
    "forget_user",
    "make_fsm_storage",
    "state_key",
    "use_snapshot",
]

REDIS_KEY_PREFIX = "switchboard:fsm"

_KEY_COLUMNS = (
    FsmState.bot_id,
    FsmState.chat_id,
    FsmState.user_id,
    FsmState.thread_id,
    FsmState.business_connection_id,
    FsmState.destiny,
)


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


def _key_values(key: StorageKey) -> dict[str, Any]:
    return {
        "bot_id": key.bot_id,
        "chat_id": key.chat_id,
        "user_id": key.user_id,
        "thread_id": key.thread_id or NO_THREAD,
        "business_connection_id": key.business_connection_id or NO_BUSINESS_CONNECTION,
        "destiny": key.destiny,
    }


# A stored row's whole key: (bot, chat, user, thread, business connection, destiny).
FullKey = tuple[int, int, int, int, str, str]
# What a snapshot covers: every row of one (bot, chat, user).
Owner = tuple[int, int, int]


def state_key(key: StorageKey) -> FullKey:
    return (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.thread_id or NO_THREAD,
        key.business_connection_id or NO_BUSINESS_CONNECTION,
        key.destiny,
    )


class StateSnapshot:
    """The states of one (bot, chat, user), as read when the update was admitted."""

    __slots__ = ("owner", "states")

    def __init__(self, owner: Owner, states: dict[FullKey, str | None]) -> None:
        self.owner: Owner | None = owner
        self.states = states

    def lookup(self, key: StorageKey) -> tuple[bool, str | None]:
        """(known, state): known is False when the snapshot cannot answer for `key`."""
        if self.owner != (key.bot_id, key.chat_id, key.user_id):
            return False, None
        return True, self.states.get(state_key(key))

    def forget(self) -> None:
        """A write happened: from now on the database answers."""
        self.owner = None


_SNAPSHOT: ContextVar[StateSnapshot | None] = ContextVar("fsm_snapshot", default=None)


class _Using(Generic[T]):
    """`with` sets a context variable, and restores it on the way out. A class, not a
    generator context manager: the pipeline enters two per update, where the generator's
    machinery costs several times as much."""

    __slots__ = ("_token", "_value", "_var")

    def __init__(self, var: ContextVar[T], value: T) -> None:
        self._var, self._value = var, value

    def __enter__(self) -> None:
        self._token = self._var.set(self._value)

    def __exit__(self, *_exc: object) -> None:
        self._var.reset(self._token)


def use_snapshot(snapshot: StateSnapshot | None) -> AbstractContextManager[None]:
    """Answer this context's state reads from `snapshot` until something is written."""
    return _Using(_SNAPSHOT, snapshot)


def _written() -> None:
    snapshot = _SNAPSHOT.get()
    if snapshot is not None:
        snapshot.forget()


def _where(key: StorageKey) -> ColumnElement[bool]:
    values = _key_values(key)
    return and_(*(column == values[column.key] for column in _KEY_COLUMNS))


def _check_dict(data: object) -> None:
    # The same rule as aiogram's own storages, so code behaves alike on either backend.
    if not isinstance(data, dict):
        raise DataNotDictLikeError(
            f"Data must be a dict or dict-like object, got {type(data).__name__}"
        )


# A row's (state, data); a change maps the stored one to the one to store.
Record = tuple[str | None, dict[str, Any]]
Change = Callable[[str | None, dict[str, Any]], Record]


_BOUND_SESSION: ContextVar[Callable[[], AsyncSession] | None] = ContextVar(
    "fsm_session", default=None
)


def bind_session(
    session: AsyncSession | Callable[[], AsyncSession],
) -> AbstractContextManager[None]:
    """Make FSM reads and writes in this context use `session` (the update's transaction);
    a callable is called when the first read or write needs it."""
    provider = session if callable(session) else (lambda: session)
    return _Using(_BOUND_SESSION, provider)


class DatabaseStorage(BaseStorage):
    """FSM states and data in the `fsm_states` table.

    The session factory (and its engine) belong to the caller: `close()` leaves them open,
    because aiogram closes the storage when polling stops while the platform keeps running.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = _state_name(state)
        if name is None:
            await self._change(key, lambda _state, data: (None, data))
        else:
            await self._upsert(key, state=name)

    async def get_state(self, key: StorageKey) -> str | None:
        snapshot = _SNAPSHOT.get()
        if snapshot is not None:
            known, state = snapshot.lookup(key)
            if known:
                return state
        async with self._transaction() as session:
            return await session.scalar(select(FsmState.state).where(_where(key)))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        _check_dict(data)
        if data:
            await self._upsert(key, data=dict(data))
        else:
            await self._change(key, lambda state, _data: (state, {}))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._transaction() as session:
            data = await session.scalar(select(FsmState.data).where(_where(key)))
        return dict(data) if data else {}

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `data` into the stored data like `dict.update`, atomically; the new data."""
        changes = dict(data)
        _state, merged = await self._change(key, lambda state, current: (state, current | changes))
        return dict(merged)

    async def close(self) -> None:
        return None

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """The update's own transaction when one is bound (see `bind_session`), else a new one.

        Inside the pipeline the update's transaction already holds SQLite's write lock: a second
        connection would wait on it until the busy timeout. Sharing it also makes a state change
        commit or roll back together with the rest of the update's effects.
        """
        bound = _BOUND_SESSION.get()
        if bound is not None:
            yield bound()
            return
        async with self._sessions() as session, session.begin():
            yield session

    async def forget_user(self, user_id: int, bot_id: int | None = None) -> int:
        """Delete every conversation of `user_id` (with `bot_id`, or with any bot); how many
        rows went."""
        _written()
        statement = delete(FsmState).where(FsmState.user_id == user_id)
        if bot_id is not None:
            statement = statement.where(FsmState.bot_id == bot_id)
        async with self._transaction() as session:
            result = await session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        """Write one column of the row, creating the row if needed, in one statement."""
        _written()
        async with self._transaction() as session:
            insert = dialect_insert(session)(FsmState)
            statement = insert.values(
                **_key_values(key),
                state=values.get("state"),
                data=values.get("data", {}),
                updated_at=utcnow(),
            ).on_conflict_do_update(
                index_elements=list(_KEY_COLUMNS),
                set_={name: insert.excluded[name] for name in (*values, "updated_at")},
            )
            await session.execute(statement)

    async def _change(self, key: StorageKey, change: Change) -> Record:
        """Read, change and write the row in one transaction that holds it throughout."""
        _written()
        async with self._transaction() as session:
            state, data = await self._take(session, key)
            state, data = change(state, data)
            if state is None and not data:
                await session.execute(delete(FsmState).where(_where(key)))
            else:
                await session.execute(
                    update(FsmState)
                    .where(_where(key))
                    .values(state=state, data=data, updated_at=utcnow())
                )
        return state, data

    async def _take(self, session: AsyncSession, key: StorageKey) -> Record:
        # An upsert rather than SELECT … FOR UPDATE: it also locks a row that does not exist
        # yet, so a concurrent first write waits for us instead of racing our insert.
        insert = dialect_insert(session)(FsmState)
        statement = (
            insert.values(**_key_values(key), state=None, data={}, updated_at=utcnow())
            .on_conflict_do_update(
                index_elements=list(_KEY_COLUMNS),
                set_={"updated_at": insert.excluded.updated_at},
            )
            .returning(FsmState.state, FsmState.data)
        )
        row = (await session.execute(statement)).one()
        return row.state, dict(row.data or {})


class FsmKeyBuilder(KeyBuilder):
    """Redis keys that always spell out every part of the `StorageKey`.

    aiogram's `DefaultKeyBuilder` omits empty parts, so keys with and without a thread or a
    business connection can have the same shape; with many bots in one Redis, every part is
    written out: `switchboard:fsm:<bot>:<chat>:<thread>:<user>:<business>:<destiny>:<part>`.
    """

    def __init__(self, prefix: str = REDIS_KEY_PREFIX) -> None:
        self.prefix = prefix

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        parts = [
            self.prefix,
            str(key.bot_id),
            str(key.chat_id),
            str(key.thread_id or NO_THREAD),
            str(key.user_id),
            key.business_connection_id or NO_BUSINESS_CONNECTION,
            key.destiny,
        ]
        if part:
            parts.append(part)
        return ":".join(parts)


def make_fsm_storage(
    redis: Settings | str | None,
    session_factory: async_sessionmaker[AsyncSession],
) -> BaseStorage:
    """The FSM storage for this deployment: Redis when it has a Redis URL, else the database.

    `redis` is the settings or their `redis_url`. The Redis storage owns its connection pool
    (aiogram closes it with the storage).
    """
    url = redis.redis_url if isinstance(redis, Settings) else redis
    if url:
        return RedisStorage.from_url(url, key_builder=FsmKeyBuilder())
    return DatabaseStorage(session_factory)


async def forget_user(storage: BaseStorage, user_id: int, bot_id: int | None = None) -> int:
    """Delete every FSM state and data of `user_id` (/privacy delete) with `bot_id`, or with
    every bot if None; how many records went.

    Works on the storages `make_fsm_storage` returns. In Redis the keys are found with SCAN,
    which walks the keyspace: fine for a rare privacy request, not for a hot path.
    """
    if isinstance(storage, DatabaseStorage):
        return await storage.forget_user(user_id, bot_id)
    if isinstance(storage, RedisStorage) and isinstance(storage.key_builder, FsmKeyBuilder):
        prefix = storage.key_builder.prefix
        # '*' also matches ':', so check the user's (and the bot's) own segment of each key.
        position = prefix.count(":") + 4  # after the prefix: bot, chat, thread, user
        wanted = str(user_id)
        bot = "*" if bot_id is None else str(bot_id)
        keys = [
            key
            async for key in storage.redis.scan_iter(
                match=f"{prefix}:{bot}:*:*:{wanted}:*", count=1000
            )
            if _text(key).split(":")[position] == wanted
            and (bot_id is None or _text(key).split(":")[position - 3] == bot)
        ]
        return int(await storage.redis.delete(*keys)) if keys else 0
    raise TypeError(f"cannot forget users in a {type(storage).__name__}")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
