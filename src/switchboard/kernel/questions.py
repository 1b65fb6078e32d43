"""The bots' questions (a conversation state waiting for the user's next message) never trap
anyone:

- a command leaves the question open, then runs as it would with none (one outer middleware
  for every app);
- every question is sent with a Cancel button (`cancel_button`), answered here for every app;
- a message no app took while a question is open leaves the question too, and says so
  (`make_unanswered_router`, the last router but for unknown commands);
- a message sent while a question is open goes first to the app that asked it, and one an
  app claims (`App.claims`: an .ics file) to that app (`askers_answer_first`), then, if
  that app does not take it, to every app in their order:
  without it an app earlier in the order (notes, which files any text) took the answer to a
  later app's question. The asker is the app whose package defines the question's
  `StatesGroup`, so no app declares anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)

from switchboard.kernel.i18n import Translate

__all__ = [
    "QuestionCancel",
    "askers_answer_first",
    "cancel_button",
    "cancel_keyboard",
    "commands_leave_questions",
    "make_questions_router",
    "state_owners",
]


class QuestionCancel(CallbackData, prefix="kq-x"):
    """Cancel the question the bot asked `user` (only they may)."""

    user: int


def cancel_button(_: Translate, user_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("kernel.question.cancel"), callback_data=QuestionCancel(user=user_id).pack()
    )


def cancel_keyboard(_: Translate, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button(_, user_id)]])


class _CommandsLeaveQuestions(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message) and data.get("raw_state") is not None:
            text = event.text or event.caption
            state = data.get("state")
            if text is not None and text.startswith("/") and isinstance(state, FSMContext):
                await state.clear()
                data["raw_state"] = None  # the routers see no question: the command runs
        return await handler(event, data)


def commands_leave_questions(dispatcher: Dispatcher) -> None:
    """Install the middleware; after `ignore_commands_for_other_bots` (a command for another
    bot is not this one's, and leaves nothing)."""
    dispatcher.message.outer_middleware(_CommandsLeaveQuestions())


class _AskerAnswersFirst(BaseMiddleware):
    def __init__(
        self,
        routers: Mapping[str, Router],
        owners: Mapping[str, str],
        claims: Mapping[str, Callable[[Message], bool]],
    ) -> None:
        self.routers = routers
        self.owners = owners  # StatesGroup name -> app name
        self.claims = claims  # app name -> the messages it takes first

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message):
            text = event.text or event.caption
            if not (text is not None and text.startswith("/")):
                for app in self._first(event, data.get("raw_state")):
                    router = self.routers.get(app)
                    if router is None:
                        continue
                    result = await router.propagate_event("message", event, **data)
                    if result is not UNHANDLED:
                        return result
        return await handler(event, data)

    def _first(self, message: Message, raw_state: object) -> list[str]:
        """The apps to offer `message` to before the others: the one that asked the open
        question, then those that claim it."""
        first: list[str] = []
        if isinstance(raw_state, str):
            asker = self.owners.get(raw_state.split(":", 1)[0])
            if asker is not None:
                first.append(asker)
        for app, claims in self.claims.items():
            if app not in first and claims(message):
                first.append(app)
        return first


def state_owners(packages: Mapping[str, str]) -> dict[str, str]:
    """Each `StatesGroup` defined so far, by its name, to the app whose package (`packages`:
    app name -> package, e.g. "switchboard.apps.match") defines it."""
    owners: dict[str, str] = {}
    pending: list[type[StatesGroup]] = list(StatesGroup.__subclasses__())
    while pending:
        group = pending.pop()
        pending.extend(group.__subclasses__())
        for app, package in packages.items():
            if group.__module__ == package or group.__module__.startswith(package + "."):
                owners[group.__full_group_name__] = app
    return owners


def askers_answer_first(
    dispatcher: Dispatcher,
    routers: Mapping[str, Router],
    packages: Mapping[str, str],
    claims: Mapping[str, Callable[[Message], bool]] | None = None,
) -> None:
    """Install the middleware: `routers` are the apps' routers by app name, `packages` their
    packages (call it once the apps' routers are made, so that their states are defined),
    `claims` the messages apps take before the others (`App.claims`)."""
    dispatcher.message.outer_middleware(
        _AskerAnswersFirst(routers, state_owners(packages), claims or {})
    )


class _InQuestion(Filter):
    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        return raw_state is not None


async def cancel_tapped(
    query: CallbackQuery, callback_data: QuestionCancel, state: FSMContext, _: Translate
) -> None:
    if callback_data.user != query.from_user.id:
        await query.answer(_("kernel.question.not_yours"), show_alert=True)
        return
    asked = await state.get_state() is not None
    await state.clear()
    await query.answer(_("kernel.question.cancelled") if asked else _("kernel.question.closed"))
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified" and the like
            await query.message.edit_reply_markup(reply_markup=None)


async def unanswered(message: Message, state: FSMContext, _: Translate) -> None:
    await state.clear()
    await message.answer(_("kernel.question.left"), parse_mode=None)


def make_questions_router() -> Router:
    """Cancel taps, and messages no app took while a question is open; include it after the
    apps' routers."""
    router = Router(name="questions")
    router.callback_query.register(cancel_tapped, QuestionCancel.filter())
    router.message.register(unanswered, _InQuestion())
    return router
