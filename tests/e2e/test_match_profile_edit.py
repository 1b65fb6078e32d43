"""Editing a finished match profile in chat one field at a time (issue 16: "/profile shows and
edits it"): the Edit button opens a menu of the fields, the one picked is the only question
asked; the maximum distance and the age range are edited here too, and photos are replaced or
removed even when the profile has all three."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID
from .match_scene import (
    BERLIN_KREUZBERG,
    BERLIN_MITTE,
    Json,
    answer,
    onboard,
    profile_of,
    running,
    tap,
    world,
)

pytestmark = pytest.mark.timeout(180)
__all__ = ["world"]


def png(width: int) -> bytes:  # a real image: Telegram refuses bytes that are none
    out = io.BytesIO()
    Image.new("RGB", (width, 2), (200, 120, 10)).save(out, "PNG")
    return out.getvalue()


async def edit(tg: SandboxClient, user: Json, field: str) -> None:
    """/profile, Edit, then `field` from the menu."""
    card = await answer(tg, user, "/profile", "Status:")
    await tap(tg, user, card, "Edit my profile")
    menu = await tg.expect_message(chat_id=user["id"], contains="What would you like to change?")
    await tap(tg, user, menu, field)


async def send_photo(tg: SandboxClient, user: Json, width: int) -> None:
    await tg.send_media(
        user, "photo", png(width), filename=f"p{width}.png", mime_type="image/png", bot_id=BOT_ID
    )


async def test_one_field_is_edited_from_the_menu_and_the_rest_is_kept(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    anna = await tg.create_user("Anna", language_code="en")
    async with running(sandbox, database_url):
        await onboard(tg, anna, "Anna", 30, BERLIN_MITTE)
        before = await profile_of(database_url, anna["id"])
        assert before is not None and (before.age_min, before.age_max) == (20, 40)
        assert before.max_distance_km == 50

        await edit(tg, anna, "Maximum distance")
        question = await tg.expect_message(chat_id=anna["id"], contains="Now: 50 km")
        await tap(tg, anna, question, "25 km")
        await tg.expect_message(chat_id=anna["id"], text="Saved.")
        await tg.expect_message(chat_id=anna["id"], contains="Anna, 30")

        await edit(tg, anna, "Maximum distance")
        await tg.expect_message(chat_id=anna["id"], contains="Now: 25 km")
        await answer(tg, anna, "lots", "A number of km from 1 to 20000")
        await answer(tg, anna, "120 km", "Saved.")

        await edit(tg, anna, "Age range")
        await tg.expect_message(chat_id=anna["id"], contains="Now: 20-40")
        await answer(tg, anna, "40-20", "the lower first")
        await answer(tg, anna, "26-34", "Saved.")

        # The name alone is asked: no age, gender or interests question follows.
        await edit(tg, anna, "Name")
        await tg.expect_message(chat_id=anna["id"], contains="What's your name?")
        await answer(tg, anna, "Anya", "Saved.")
        card = await tg.expect_message(chat_id=anna["id"], contains="Anya, 30")
        assert "Hiking" in card["text"]

        # A new age keeps the range she chose.
        await edit(tg, anna, "Age")
        await answer(tg, anna, "33", "Saved.")
        await tg.expect_message(chat_id=anna["id"], contains="Anya, 33")

        await edit(tg, anna, "Looking for")
        question = await tg.expect_message(chat_id=anna["id"], contains="Who would you like")
        await tap(tg, anna, question, "Men")
        await tg.expect_message(chat_id=anna["id"], text="Saved.")

        await edit(tg, anna, "City or place")
        await tg.expect_message(chat_id=anna["id"], contains="Where are you?")
        await tg.send_location(anna, *BERLIN_KREUZBERG, bot_id=BOT_ID)
        await tg.expect_message(chat_id=anna["id"], text="Saved.")

    after = await profile_of(database_url, anna["id"])
    assert after is not None
    assert (after.name, after.age, after.gender, after.wants) == ("Anya", 33, "woman", ["man"])
    assert (after.age_min, after.age_max, after.max_distance_km) == (26, 34, 120)
    assert after.interests == before.interests and after.state == "active"
    assert after.cell_y != before.cell_y


async def test_photos_are_replaced_and_removed_when_the_profile_has_three(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    ben = await tg.create_user("Ben", language_code="en")
    async with running(sandbox, database_url):
        await onboard(tg, ben, "Ben", 35, BERLIN_MITTE)
        await edit(tg, ben, "Photos")
        await tg.expect_message(chat_id=ben["id"], contains="You have 0 of 3 photos")
        for width in (2, 3, 4):
            await send_photo(tg, ben, width)
        await tg.expect_message(chat_id=ben["id"], text="Saved.")
        full = await profile_of(database_url, ben["id"])
        assert full is not None and len(full.photos) == 3

        # Three already: a new photo replaces them, not refused and not appended.
        await edit(tg, ben, "Photos")
        question = await tg.expect_message(chat_id=ben["id"], contains="You have 3 of 3 photos")
        await send_photo(tg, ben, 5)
        await tg.expect_message(chat_id=ben["id"], contains="1 photo of 3 added")
        await tap(tg, ben, question, "Done")
        await tg.expect_message(chat_id=ben["id"], text="Saved.")
        replaced = await profile_of(database_url, ben["id"])
        assert replaced is not None and len(replaced.photos) == 1
        assert replaced.photos[0] not in full.photos

        await edit(tg, ben, "Photos")
        question = await tg.expect_message(chat_id=ben["id"], contains="You have 1 of 3 photos")
        await tap(tg, ben, question, "Remove all photos")
        await tg.expect_message(chat_id=ben["id"], text="Saved.")
    removed = await profile_of(database_url, ben["id"])
    assert removed is not None and removed.photos == []
