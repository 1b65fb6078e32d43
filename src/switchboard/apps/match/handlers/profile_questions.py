"""The profile's questions in chat: the answers to onboarding's steps, the Edit button under
/profile (a menu of the fields) and the answers to the one field picked from it.

Edit and the distance buttons are registered here, ahead of `picked`: all take `Pick`
callbacks, and theirs are the narrower filters.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter

from ..editing import (
    EditField,
    Editing,
    answer_ages,
    answer_distance,
    distance_picked,
    field_picked,
    show_menu,
)
from ..onboarding import (
    Onboarding,
    Pick,
    answer_age,
    answer_bio,
    answer_city,
    answer_interests,
    answer_location,
    answer_name,
    answer_photo,
    picked,
)


def make_router() -> Router:
    router = Router(name="match.profile_questions")
    captures = {"captures": True}  # an answer the user typed is taken even in a flood
    router.message.register(
        answer_name, StateFilter(Onboarding.name), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_age, StateFilter(Onboarding.age), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_bio, StateFilter(Onboarding.bio), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_interests,
        StateFilter(Onboarding.interests),
        F.text,
        ~F.text.startswith("/"),
        flags=captures,
    )
    router.message.register(answer_photo, StateFilter(Onboarding.photos), F.photo, flags=captures)
    router.message.register(
        answer_location, StateFilter(Onboarding.place), F.location, flags=captures
    )
    router.message.register(
        answer_city, StateFilter(Onboarding.place), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_distance,
        StateFilter(Editing.distance),
        F.text,
        ~F.text.startswith("/"),
        flags=captures,
    )
    router.message.register(
        answer_ages, StateFilter(Editing.ages), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.callback_query.register(show_menu, Pick.filter(F.field == "edit"))
    router.callback_query.register(distance_picked, Pick.filter(F.field == "distance"))
    router.callback_query.register(field_picked, EditField.filter())
    router.callback_query.register(picked, Pick.filter())
    return router
