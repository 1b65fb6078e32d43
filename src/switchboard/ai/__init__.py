"""Classification, rendering and transcription of notes, behind two small protocols.

`NoteClassifier` ranks a user's topics for a note and renders it (title, hashtags, text);
`Transcriber` turns a recording into text. Providers: `local` (offline, the default), any
OpenAI-compatible API, and Gemini. Build them with `build_classifier` / `build_transcriber`.
"""

from switchboard.ai.audio_split import AudioPiece, AudioSplitUnavailable, split_audio
from switchboard.ai.classification import (
    Example,
    InvalidReply,
    NoteClassifier,
    ProviderError,
    Ranking,
    RenderedNote,
    TopicCandidate,
    TopicId,
)
from switchboard.ai.factory import AIConfigurationError, build_classifier, build_transcriber
from switchboard.ai.fallback import FallbackClassifier
from switchboard.ai.gemini_provider import GeminiAPI, GeminiClassifier, GeminiTranscriber
from switchboard.ai.local_classifier import LocalClassifier
from switchboard.ai.local_transcriber import FasterWhisperTranscriber
from switchboard.ai.openai_provider import (
    OpenAICompatibleAPI,
    OpenAICompatibleClassifier,
    OpenAICompatibleTranscriber,
)
from switchboard.ai.render import accept_rendered, clean_text, make_title, render_locally
from switchboard.ai.tags import hashtag, suggest_tags
from switchboard.ai.topic_index import TopicIndex
from switchboard.ai.transcription import Transcriber, TranscriberUnavailable, Transcript

__all__ = [
    "AIConfigurationError",
    "AudioPiece",
    "AudioSplitUnavailable",
    "Example",
    "FallbackClassifier",
    "FasterWhisperTranscriber",
    "GeminiAPI",
    "GeminiClassifier",
    "GeminiTranscriber",
    "InvalidReply",
    "LocalClassifier",
    "NoteClassifier",
    "OpenAICompatibleAPI",
    "OpenAICompatibleClassifier",
    "OpenAICompatibleTranscriber",
    "ProviderError",
    "Ranking",
    "RenderedNote",
    "TopicCandidate",
    "TopicId",
    "TopicIndex",
    "Transcriber",
    "TranscriberUnavailable",
    "Transcript",
    "accept_rendered",
    "build_classifier",
    "build_transcriber",
    "clean_text",
    "hashtag",
    "make_title",
    "render_locally",
    "split_audio",
    "suggest_tags",
]
