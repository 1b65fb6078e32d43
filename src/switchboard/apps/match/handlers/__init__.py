"""The match app in chat: one router per feature, each thin (read the update, call the
profiles, search or reviews, answer).

- profile_questions: the onboarding's answers, and the Edit button's menu of fields and
  the answer to the one picked;
- profile: /profile and /delete;
- browsing: /match and the Like / Skip / Report / Block buttons under a card (deck: which card
  comes next, shared with reports);
- introductions: a mutual like introduces both people; /matches;
- pauses: /pause and /resume;
- reports: a reported card's reason, the owner's /reports and its review;
- blocking: the user blocked the bot, so their profile sleeps;
- rounds (`round_handlers`): group rounds.

The order they are included in is the order aiogram tries them in. Commands and callback
prefixes do not overlap, with two exceptions this order keeps: the onboarding's answers come
before the commands (a photo whose caption is a command, sent at the photo step, is the
photo), and Edit comes before the other `Pick` answers.

The app's router is gated: a message reaches it only if it is a command or the user is in one
of the onboarding's steps or editing a field.
"""

from __future__ import annotations

from aiogram import Router

from switchboard.kernel import GatedRouter, commands_or_in_state

from .. import round_handlers
from ..editing import EDIT_STEPS
from ..onboarding import STEPS
from . import blocking, browsing, introductions, pauses, profile, profile_questions, reports


def make_router() -> Router:
    router = Router(name="match")
    rounds = Router(name="match.rounds")
    round_handlers.register(rounds)
    router.include_routers(
        profile_questions.make_router(),
        profile.make_router(),
        browsing.make_router(),
        introductions.make_router(),
        pauses.make_router(),
        reports.make_router(),
        blocking.make_router(),
        rounds,
    )
    return GatedRouter(router, commands_or_in_state(*STEPS, *EDIT_STEPS))


__all__ = ["make_router"]
