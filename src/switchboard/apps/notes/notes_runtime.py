"""What the notes jobs use, built once from settings: the classifier (with its local
fallback), the transcriber (or none), link previews, texts and the filing thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.ai import (
    Example,
    NoteClassifier,
    ProviderError,
    Ranking,
    RenderedNote,
    TopicCandidate,
    Transcriber,
    build_classifier,
    build_transcriber,
)
from switchboard.apps.notes.links import LinkFailure, LinkPreviewService
from switchboard.kernel import PlatformServices, Translator
from switchboard.settings import Settings


@dataclass
class NotesRuntime:
    services: PlatformServices
    translator: Translator
    classifier: NoteClassifier
    transcriber: Transcriber | None
    previews: LinkPreviewService
    confirm_timeout: int
    auto_file_threshold: float | None
    # Below it a best guess is no guess: no ✅, never filed without asking (see `jobs._ask`).
    confidence_floor: float = 0.35

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        services: PlatformServices,
        translator: Translator,
        session_factory: async_sessionmaker[AsyncSession],
    ) -> NotesRuntime:
        classifier = build_classifier(
            settings.notes_ai_provider,
            api_key=settings.notes_ai_api_key,
            base_url=settings.notes_ai_base_url,
            model=settings.notes_ai_model,
            timeout=settings.notes_ai_timeout,
        )
        stt = None if settings.notes_stt_provider == "none" else settings.notes_stt_provider
        transcriber = build_transcriber(
            stt,
            api_key=settings.notes_stt_api_key,
            base_url=settings.notes_stt_base_url,
            model=settings.notes_stt_model,
        )
        previews = LinkPreviewService.create(
            session_factory, allow_private_addresses=settings.notes_allow_private_links
        )
        return cls(
            services=services,
            translator=translator,
            classifier=classifier,
            transcriber=transcriber,
            previews=previews,
            confirm_timeout=settings.notes_confirm_timeout,
            auto_file_threshold=settings.notes_auto_file_threshold,
            confidence_floor=settings.notes_confidence_floor,
        )

    async def classify(
        self, text: str, topics: Sequence[TopicCandidate], examples: Sequence[Example]
    ) -> Ranking:
        return await self.classifier.classify(text, topics, examples)

    async def render(self, text: str, vocabulary: Sequence[str]) -> RenderedNote:
        return await self.classifier.render(text, vocabulary)

    async def transcribe(self, audio: bytes, mime: str) -> str:
        assert self.transcriber is not None
        transcript = await self.transcriber.transcribe(audio, mime)
        return transcript.text

    async def preview(self, url: str) -> dict[str, Any]:
        result = await self.previews.preview(url)
        if isinstance(result, LinkFailure):
            return {"error": result.message}
        fields = {
            "title": result.title or result.file_name,
            "description": result.description,
            "site_name": result.site_name,
        }
        return {key: value for key, value in fields.items() if value}

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        if isinstance(error, ProviderError):
            return error.retryable
        return isinstance(error, (TimeoutError, ConnectionError, OSError))
