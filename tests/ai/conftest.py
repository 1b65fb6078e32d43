from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.ai import TopicCandidate

from .standins import GeminiStandIn, OpenAIStandIn


@pytest.fixture
def topics() -> list[TopicCandidate]:
    return [
        TopicCandidate(11, "Health / Здоровье", "Doctors, medicines, symptoms. Врачи, лекарства"),
        TopicCandidate(12, "Recipes / Рецепты", "Dishes to cook. Блюда и ингредиенты"),
        TopicCandidate(13, "Travel / Путешествия", "Trips, tickets, hotels. Поездки, билеты"),
        TopicCandidate(14, "Finance / Финансы", "Bills, budget, taxes. Счета, бюджет, налоги"),
    ]


@pytest.fixture
def openai_standin() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture
def gemini_standin() -> Iterator[GeminiStandIn]:
    with GeminiStandIn() as server:
        yield server
