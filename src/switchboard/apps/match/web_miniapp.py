"""The match app's Mini App routes: the user's own profile, read and edited with the rules the
onboarding conversation keeps (a name of 1–64 characters, adults only, the same genders and
wishes, interests normalised as typed in the chat), and their photos (web_photos.py).

Only the caller's profile with this bot is ever read or written (`MiniAppUserDep`).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from switchboard.kernel import AppHttpError, MiniAppUserDep, WebSessionDep

from .interests import MAX_INTERESTS, parse_interests
from .models import MatchProfile
from .onboarding import GENDERS, WANTS
from .profiles import ADULT_AGE, MAX_AGE, get_profile, profile_for_update
from .web_photos import add_photo_routes

Gender = Literal["woman", "man", "other"]
Wants = Literal["women", "men", "everyone"]
assert set(GENDERS) == {"woman", "man", "other"} and set(WANTS) == {"women", "men", "everyone"}


class ProfileOut(BaseModel):
    state: str
    name: str
    age: int | None
    gender: str | None
    wants: str
    bio: str
    interests: list[str]
    max_distance_km: int
    place: str
    photos: list[str]


class ProfileIn(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    age: int | None = Field(default=None, ge=1, le=MAX_AGE)
    gender: Gender | None = None
    wants: Wants | None = None
    bio: str | None = Field(default=None, max_length=500)
    interests: list[str] | None = Field(default=None, max_length=MAX_INTERESTS * 2)
    max_distance_km: int | None = Field(default=None, ge=1, le=20_000)


def _wants(profile: MatchProfile) -> str:
    for name, genders in WANTS.items():
        if sorted(genders) == sorted(profile.wants):
            return name
    return "everyone"


def _profile(profile: MatchProfile | None) -> ProfileOut:
    if profile is None:
        return ProfileOut(
            state="none", name="", age=None, gender=None, wants="everyone", bio="",
            interests=[], max_distance_km=50, place="", photos=[],
        )  # fmt: skip
    return ProfileOut(
        state=profile.state,
        name=profile.name,
        age=profile.age,
        gender=profile.gender,
        wants=_wants(profile),
        bio=profile.bio,
        interests=list(profile.interests),
        max_distance_km=profile.max_distance_km,
        place=profile.place_name,
        photos=list(profile.photos),
    )


def make_router() -> APIRouter:
    router = APIRouter()

    @router.get("/profile")
    async def profile(user: MiniAppUserDep, session: WebSessionDep) -> ProfileOut:
        return _profile(await get_profile(session, user.bot_id, user.user_id))

    @router.put("/profile")
    async def edit(body: ProfileIn, user: MiniAppUserDep, session: WebSessionDep) -> ProfileOut:
        name = " ".join(body.name.split()) if body.name is not None else None
        if name is not None and not 1 <= len(name) <= 64:
            raise AppHttpError(422, "match.web.name_length")
        if body.age is not None and body.age < ADULT_AGE:
            raise AppHttpError(422, "match.web.adults_only", age=ADULT_AGE)
        interests = parse_interests("\n".join(body.interests)) if body.interests else None
        found = await profile_for_update(session, user.bot_id, user.user_id)
        if name is not None:
            found.name = name
        if body.age is not None:
            found.age = body.age
        if body.gender is not None:
            found.gender = body.gender
        if body.wants is not None:
            found.wants = list(WANTS[body.wants])
        if body.bio is not None:
            found.bio = body.bio.strip()[:500]
        if body.interests is not None:
            found.interests = interests or []
        if body.max_distance_km is not None:
            found.max_distance_km = body.max_distance_km
        await session.commit()
        return _profile(found)

    add_photo_routes(router)
    return router
