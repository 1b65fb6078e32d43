"""Classification and rendering by a chat model, whatever API carries the messages.

A provider supplies `complete(prompt) -> str` (one request, the model's text back); this class
builds the prompts and validates the replies. Errors are `ProviderError`s; falling back to the
local provider is `FallbackClassifier`'s job, not this one's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from switchboard.ai.classification import Example, Ranking, RenderedNote, TopicCandidate
from switchboard.ai.model_replies import parse_ranking, parse_rendered
from switchboard.ai.prompts import Prompt, classify_prompt, render_prompt
from switchboard.ai.render import accept_rendered


class ChatModelClassifier(ABC):
    """A `NoteClassifier` backed by a remote chat model."""

    name: str

    @abstractmethod
    async def complete(self, prompt: Prompt) -> str:
        """Send the prompt, return the model's text; raise `ProviderError` on failure."""

    async def classify(
        self,
        text: str,
        topics: Sequence[TopicCandidate],
        examples: Sequence[Example] = (),
    ) -> Ranking:
        reply = await self.complete(classify_prompt(text, topics, examples))
        return parse_ranking(reply, topics, self.name)

    async def render(
        self,
        text: str,
        vocabulary: Sequence[str] = (),
        topic: TopicCandidate | None = None,
    ) -> RenderedNote:
        reply = await self.complete(render_prompt(text, vocabulary, topic))
        return accept_rendered(parse_rendered(reply), text, vocabulary, topic)

    @abstractmethod
    async def aclose(self) -> None:
        """Close the HTTP client if this classifier owns it."""
