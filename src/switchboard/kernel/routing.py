"""Routers that turn an update away with one plain check, before aiogram's propagation.

aiogram checks a router's root filters inside its propagation: it wraps the observer's outer
middlewares, then calls each filter through its calling convention (the context copied and
cut to the filter's parameters). In place that costs tens of microseconds per router per
update, and most updates meet most routers: plain text passes every app that takes only
commands, and every router of an app the bot did not enable. A `GatedRouter` holds one router
and first asks its `gate`, a synchronous function of the update type, the event and the
context: when the gate says no, the router is skipped at the cost of a function call.

The context a gate sees is what the router would see: aiogram's update-level middlewares
have run, so `bot`, `event_from_user`, `raw_state` and the like are there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message, TelegramObject

__all__ = [
    "Gate",
    "GatedRouter",
    "NeedsFields",
    "TakesNoCommand",
    "commands_or_in_state",
    "only_its_commands",
]

# (update type, event, context) -> whether the router may see the update.
Gate = Callable[[str, TelegramObject, Mapping[str, Any]], bool]


class GatedRouter(Router):
    def __init__(self, router: Router, gate: Gate, *, name: str | None = None) -> None:
        super().__init__(name=name or f"{router.name}:gated")
        self._gate = gate
        self._router = router
        self.include_router(router)

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        # This router has no handlers or middlewares of its own: past the gate, the update
        # goes straight to the router it holds.
        if not self._gate(update_type, event, kwargs):
            return UNHANDLED
        return await self._router.propagate_event(update_type=update_type, event=event, **kwargs)


def commands_or_in_state(*states: State) -> Gate:
    """Messages that are commands (text or caption starting with "/"), or that come while the
    user is in one of `states`; every other kind of update passes."""
    names = frozenset(state.state for state in states)

    def gate(update_type: str, event: TelegramObject, data: Mapping[str, Any]) -> bool:
        if update_type != "message" or not isinstance(event, Message):
            return True
        text = event.text or event.caption
        return (text is not None and text.startswith("/")) or data.get("raw_state") in names

    return gate


def only_its_commands(router: Router) -> Gate | None:
    """A gate that turns a command ("/name ...") away from `router` when no message handler
    in it (or in the routers it includes) can take it: each is a `Command` handler of other
    names, or waits for a question's answer (a `StateFilter` of named states, which a command
    never meets: `questions.commands_leave_questions` ends the question first). Every other
    message passes. None when a handler could take any command (no `Command` and no named
    state, or a pattern), or an outer middleware sees every message.

    A command goes through every app's router (the unknown-command reply comes last), and
    each router checks each of its `Command` filters in turn; here a router that cannot take
    it costs one set lookup. The check is a superset of aiogram's (`Command.extract_command`,
    names compared case-folded, any prefix), so a command a router takes is never turned
    away.

    A filter of the app's own can say what it never takes (see `TakesNoCommand` and
    `NeedsFields`): a handler with such a filter no more opens the router to every command
    than a `Command` handler does. A command-like message that has every field a
    `NeedsFields` filter needs (a document with the caption "/x") still passes."""
    names: set[str] = set()
    shapes: set[tuple[str, ...]] = set()
    for each in router.chain_tail:
        if len(each.message.outer_middleware):
            return None
        for handler in each.message.handlers:
            filters: list[object] = [f.callback for f in handler.filters or ()]
            command = next((f for f in filters if isinstance(f, Command)), None)
            if command is not None:  # every filter must pass: this one bounds what it takes
                if not all(isinstance(name, str) for name in command.commands):
                    return None
                names.update(str(name).casefold() for name in command.commands)
            elif any(_named_states(f) or isinstance(f, TakesNoCommand) for f in filters):
                continue
            else:
                needs = [f.needs for f in filters if isinstance(f, NeedsFields)]
                if not needs:
                    return None
                shapes.add(tuple(sorted({field for need in needs for field in need})))
    known = frozenset(names)
    needed = tuple(shapes)

    def gate(update_type: str, event: TelegramObject, _data: Mapping[str, Any]) -> bool:
        if update_type != "message" or not isinstance(event, Message):
            return True
        text = event.text or event.caption
        if not text or text[0] != "/":  # what `commands_leave_questions` takes as a command
            return True
        if text.split(maxsplit=1)[0][1:].partition("@")[0].casefold() in known:
            return True
        return any(all(getattr(event, field) is not None for field in shape) for shape in needed)

    return gate


class TakesNoCommand:
    """Mixed into a filter that never passes a message whose text or caption starts with "/"
    (what a command gate takes for a command): the router holding it can still turn away
    the commands none of its handlers take."""


class NeedsFields:
    """Mixed into a filter that passes only messages with each of `needs` set (a document,
    a forwarded origin, a shared chat...): a command that lacks one of them never reaches it."""

    needs: tuple[str, ...] = ()


def _named_states(candidate: object) -> bool:
    """A state filter that no message outside a question passes (not None, not "*"): a
    `StateFilter`, a `State` or a `StatesGroup` given as a filter."""
    if isinstance(candidate, StateFilter):
        return all(_named(state) for state in candidate.states)
    if isinstance(candidate, State):
        return _named(candidate)
    return isinstance(candidate, type) and issubclass(candidate, StatesGroup)


def _named(state: object) -> bool:
    if isinstance(state, State):
        return state.state is not None and state.state != "*"
    return state is not None and state != "*"
