"""The notes page of the owner's dashboard (`/api/v1/bots/{bot_id}/notes/`): the bot's notes
groups with their topics (and how many notes each holds), the AI provider the notes jobs use,
and a "test it" that ranks a text against a group's topics with the same classifier and the
group owner's filed notes as examples, as a captured note would be ranked.

The settings are the running deployment's (the web layer keeps it on `app.state.platform`;
apps do not import the web layer).
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from switchboard.ai import Example, TopicCandidate, build_classifier
from switchboard.kernel import AppHttpError, WebSessionDep
from switchboard.settings import Settings

from . import forum, service
from .models import NotesGroup

__all__ = ["make_owner_router"]

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a row's id: no query for what cannot be one

TEST_TEXT_LIMIT = 4096


class Topic(BaseModel):
    id: int
    thread_id: int
    name: str
    description: str
    notes: int


class Group(BaseModel):
    id: int
    owner_id: int
    chat_id: int
    title: str
    auto_file_threshold: float | None
    low_confidence: float
    remove_original: bool
    topics: list[Topic]


class AISettings(BaseModel):
    provider: str = Field(description="local, openai or gemini")
    model: str | None
    transcription: str = Field(description="speech to text: none, local, openai or gemini")
    auto_file_threshold: float | None
    confidence_floor: float


class TestRequest(BaseModel):
    text: str = Field(min_length=1, max_length=TEST_TEXT_LIMIT)


class Ranked(BaseModel):
    topic_id: int
    name: str
    confidence: float


class TestResult(BaseModel):
    suggested: Ranked | None = Field(description="the best topic, if above the confidence floor")
    ranking: list[Ranked]
    proposed_new_topic: str | None
    provider: str


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.platform.settings)


def make_owner_router() -> APIRouter:
    router = APIRouter()

    @router.get("/groups")
    async def groups(bot_id: int, session: WebSessionDep) -> list[Group]:
        """The bot's notes groups (a forum each) and their live topics."""
        rows = await session.scalars(
            select(NotesGroup).where(NotesGroup.bot_id == bot_id).order_by(NotesGroup.id)
        )
        found = []
        for group in rows:
            counts = await forum.filed_counts(session, group.id)
            topics = await forum.topics_of(session, group)
            found.append(
                Group(
                    id=group.id,
                    owner_id=group.owner_id,
                    chat_id=group.chat_id,
                    title=group.title,
                    auto_file_threshold=group.auto_file_threshold,
                    low_confidence=group.low_confidence,
                    remove_original=group.remove_original,
                    topics=[
                        Topic(
                            id=topic.id,
                            thread_id=topic.thread_id,
                            name=topic.name,
                            description=topic.description,
                            notes=counts.get(topic.id, 0),
                        )
                        for topic in topics
                    ],
                )
            )
        return found

    @router.get("/ai")
    async def ai(request: Request) -> AISettings:
        """Which classifier and transcriber the notes jobs use (settings, not secrets)."""
        settings = _settings(request)
        return AISettings(
            provider=settings.notes_ai_provider,
            model=settings.notes_ai_model,
            transcription=settings.notes_stt_provider,
            auto_file_threshold=settings.notes_auto_file_threshold,
            confidence_floor=settings.notes_confidence_floor,
        )

    @router.post("/groups/{group_id}/test")
    async def try_text(
        bot_id: int, group_id: RowId, body: TestRequest, request: Request, session: WebSessionDep
    ) -> TestResult:
        """Rank `text` against the group's topics; nothing is saved or sent."""
        group = await session.get(NotesGroup, group_id)
        if group is None or group.bot_id != bot_id:
            raise AppHttpError(404, "notes.web.no_such_group")
        topics = await forum.topics_of(session, group)
        if not topics:
            raise AppHttpError(409, "notes.web.no_topics_yet")
        filed = await service.filed_notes(session, bot_id, group.owner_id)
        candidates = [
            TopicCandidate(id=t.id, name=t.name, description=t.description) for t in topics
        ]
        examples = [
            Example(text=f.text or f.transcript or f.title, topic_id=f.topic_id)
            for f in filed
            if f.topic_id
        ]
        await session.rollback()  # no transaction held while the classifier (maybe remote) runs
        settings = _settings(request)
        classifier = build_classifier(
            settings.notes_ai_provider,
            api_key=settings.notes_ai_api_key,
            base_url=settings.notes_ai_base_url,
            model=settings.notes_ai_model,
            timeout=settings.notes_ai_timeout,
        )
        try:
            ranking = await classifier.classify(body.text, candidates, examples)
        finally:
            await classifier.aclose()
        names = {candidate.id: candidate.name for candidate in candidates}
        ranked = [
            Ranked(topic_id=topic_id, name=names[topic_id], confidence=round(confidence, 4))
            for topic_id, confidence in ranking.topics
            if topic_id in names
        ]
        sure = bool(ranked) and ranked[0].confidence >= settings.notes_confidence_floor
        return TestResult(
            suggested=ranked[0] if sure else None,
            ranking=ranked,
            proposed_new_topic=ranking.proposed_new_topic,
            provider=ranking.provider,
        )

    return router
