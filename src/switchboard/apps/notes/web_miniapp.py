"""The notes app's Mini App routes: the topics of the forum the user bound (their name,
description and filing format, as the topic's edit buttons allow) and how their notes are
filed.

Every route is the caller's own: `MiniAppUserDep` is the verified user of one bot, and a topic
of anyone else's group (or of another bot) is a 404, as the bot's buttons refuse it. A topic's
name is the forum's: renaming asks Telegram (editForumTopic) before anything is written, and
the bot learns the name from Telegram's service message too, as for a rename in the forum.
The AI provider is the deployment's (NOTES_AI_PROVIDER), shown read-only; what a user sets is
how sure it must be to file without asking (/autofile).
"""

from __future__ import annotations

from aiogram.exceptions import TelegramAPIError
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from switchboard.kernel import (
    AppHttpError,
    MiniAppUser,
    MiniAppUserDep,
    PlatformServices,
    WebSessionDep,
)
from switchboard.settings import Settings

from . import forum
from .errors import InvalidAnswer, NotesError
from .models import NotesGroup, NotesTopic


class TopicOut(BaseModel):
    id: int
    name: str
    description: str
    format: str
    notes: int


class TopicsOut(BaseModel):
    chat_title: str | None
    topics: list[TopicOut]


class TopicPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    format: str | None = Field(default=None, max_length=1000)


class AiOut(BaseModel):
    provider: str
    model: str | None
    transcription: str
    auto_file_percent: int | None  # the user's: file without asking at this confidence


class AiIn(BaseModel):
    auto_file_percent: int | None = Field(ge=1, le=100)


async def _new_name(
    session: WebSessionDep, group: NotesGroup, topic: NotesTopic, wanted: str
) -> str | None:
    """The name to rename the topic to (None: it has it); one another topic has is refused."""
    name = " ".join(wanted.split())
    if not 1 <= len(name) <= 128:
        raise AppHttpError(422, "notes.web.topic_name_length")
    if name == topic.name:
        return None
    for other in await forum.topics_of(session, group):
        if other.id != topic.id and forum.name_key(other.name) == forum.name_key(name):
            raise AppHttpError(409, "notes.web.topic_name_taken", topic=other.name)
    return name


async def _rename_in_telegram(
    request: Request, user: MiniAppUser, chat_id: int, thread_id: int, name: str
) -> None:
    platform: PlatformServices = request.app.state.platform
    try:
        await platform.bot(user.bot_id).edit_forum_topic(
            chat_id=chat_id, message_thread_id=thread_id, name=name
        )
    except TelegramAPIError as error:
        raise AppHttpError(409, "notes.web.telegram_refused", reason=error.message) from None


def _topic(topic: NotesTopic, counts: dict[int, int]) -> TopicOut:
    return TopicOut(
        id=topic.id,
        name=topic.name,
        description=topic.description,
        format=topic.format,
        notes=counts.get(topic.id, 0),
    )


def make_router() -> APIRouter:
    router = APIRouter()

    @router.get("/topics")
    async def topics(user: MiniAppUserDep, session: WebSessionDep) -> TopicsOut:
        group = await forum.group_of_user(session, user.bot_id, user.user_id)
        if group is None:
            return TopicsOut(chat_title=None, topics=[])
        counts = await forum.filed_counts(session, group.id)
        listed = await forum.topics_of(session, group)
        return TopicsOut(chat_title=group.title, topics=[_topic(t, counts) for t in listed])

    @router.patch("/topics/{topic_id}")
    async def edit_topic(
        topic_id: int, body: TopicPatch, user: MiniAppUserDep, session: WebSessionDep,
        request: Request,
    ) -> TopicOut:  # fmt: skip
        try:
            group, topic = await forum.owned_topic(session, user.bot_id, user.user_id, topic_id)
        except NotesError:
            raise AppHttpError(404, "notes.web.no_such_topic") from None
        changes = body.model_dump(exclude_none=True, exclude={"name"})
        if not changes and body.name is None:
            raise AppHttpError(422, "notes.web.nothing_to_change")
        # Everything is checked first (reads only), then Telegram is asked for a new name with
        # no write transaction open, then it is all written at once: a refusal leaves nothing.
        name = await _new_name(session, group, topic, body.name) if body.name else None
        edited = topic
        try:
            for field, value in changes.items():
                # an empty format is the default one (the chat's "-")
                value = value if field != "format" or value.strip() else forum.CLEARED
                edited = await forum.edit_topic(
                    session, user.bot_id, user.user_id, topic_id, field, value
                )
        except InvalidAnswer as error:
            await session.rollback()
            raise AppHttpError(422, error.key, **error.params) from None
        if name is not None:
            kept = edited.description, edited.format
            thread_id, chat_id = topic.thread_id, group.chat_id
            await session.rollback()  # nothing was written yet; the call needs no transaction
            await _rename_in_telegram(request, user, chat_id, thread_id, name)
            group, edited = await forum.owned_topic(session, user.bot_id, user.user_id, topic_id)
            if (edited.thread_id, group.chat_id) != (thread_id, chat_id):
                raise AppHttpError(409, "notes.web.topic_moved")
            edited.description, edited.format = kept
            edited.name = name
        await session.commit()
        return _topic(edited, await forum.filed_counts(session, group.id))

    @router.get("/ai")
    async def ai(user: MiniAppUserDep, session: WebSessionDep, request: Request) -> AiOut:
        return await _ai(user, session, request)

    @router.put("/ai")
    async def set_ai(
        body: AiIn, user: MiniAppUserDep, session: WebSessionDep, request: Request
    ) -> AiOut:
        argument = "off" if body.auto_file_percent is None else str(body.auto_file_percent)
        try:
            await forum.set_autofile(session, user.bot_id, user.user_id, argument)
        except NotesError as error:
            raise AppHttpError(409, error.key, **error.params) from None
        await session.commit()
        return await _ai(user, session, request)

    return router


async def _ai(user: MiniAppUser, session: WebSessionDep, request: Request) -> AiOut:
    settings: Settings = request.app.state.platform.settings
    group = await forum.group_of_user(session, user.bot_id, user.user_id)
    threshold = group.auto_file_threshold if group is not None else None
    return AiOut(
        provider=str(settings.notes_ai_provider),
        model=settings.notes_ai_model,
        transcription=str(settings.notes_stt_provider),
        auto_file_percent=round(threshold * 100) if threshold is not None else None,
    )
