"""The Telegram Login Widget, offline: a page that logs a sandbox user in to a website.

Telegram's widget (`telegram-widget.js` with `data-telegram-login="<bot>"` and
`data-auth-url="<url>"`) asks the user to confirm, then sends the browser to the auth URL with
the user's fields and a `hash` added to its query. The site checks the hash as Telegram
documents: HMAC-SHA256 over the sorted `key=value` lines of every field but `hash`, keyed with
SHA256(bot_token). The sandbox holds the bots' tokens, so it signs the same way:

- `GET /login-widget?bot=<username>&return_to=<url>` lists the sandbox's users, each a link;
- `GET /login-widget?bot=<username>&return_to=<url>&user_id=<id>` redirects (302) to
  `return_to` with `id`, `first_name`, `last_name`, `username`, `auth_date` and `hash` added;
- `GET /login-widget.js`: a stand-in for `telegram-widget.js`. A page includes it with the same
  `data-telegram-login` and `data-auth-url` attributes and gets a "Log in with Telegram" button
  that opens the page above.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .model import Account
from .world import World

__all__ = ["ROUTES", "check_login", "login_fields", "login_hash", "signed_return_url"]


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def login_hash(bot_token: str, fields: dict[str, str]) -> str:
    secret = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def check_login(bot_token: str, fields: dict[str, str]) -> bool:
    return hmac.compare_digest(fields.get("hash", ""), login_hash(bot_token, fields))


def login_fields(bot_token: str, user: Account, auth_date: int | None = None) -> dict[str, str]:
    """What the widget hands the site for `user`, signed with `bot_token`."""
    fields = {"id": str(user.id), "first_name": user.first_name}
    if user.last_name:
        fields["last_name"] = user.last_name
    if user.username:
        fields["username"] = user.username
    fields["auth_date"] = str(int(time.time()) if auth_date is None else auth_date)
    fields["hash"] = login_hash(bot_token, fields)
    return fields


def signed_return_url(return_to: str, fields: dict[str, str]) -> str:
    """`return_to` with the signed fields added to its query (its own parameters kept)."""
    parts = urlsplit(return_to)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in fields]
    return urlunsplit(parts._replace(query=urlencode([*query, *fields.items()])))


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def _refuse(status: int, reason: str) -> Response:
    return JSONResponse({"ok": False, "error": reason}, status_code=status)


async def login_widget(request: Request) -> Response:
    world = _world(request)
    params = request.query_params
    username, return_to = params.get("bot", ""), params.get("return_to", "")
    if not username:
        return _refuse(400, "bot is required: the username of the bot the site logs in with")
    parts = urlsplit(return_to)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _refuse(400, "return_to is required: the http(s) URL the user goes back to")
    account = world.account_by_username(username)
    bot = world.bots.get(account.id) if account is not None and account.is_bot else None
    if bot is None:
        return _refuse(404, f"no bot @{username.lstrip('@')} in this sandbox")
    chosen = params.get("user_id")
    if chosen is None:
        return HTMLResponse(_choice_page(world, bot.account, request))
    try:
        user = world.user(int(chosen))
    except (ValueError, LookupError):
        return _refuse(404, f"no user {chosen} in this sandbox")
    return RedirectResponse(signed_return_url(return_to, login_fields(bot.token, user)), 302)


def _choice_page(world: World, bot: Account, request: Request) -> str:
    users = [a for a in world.accounts.values() if not a.is_bot]
    items = "".join(
        f'<li><a href="{html.escape(str(request.url.include_query_params(user_id=u.id)))}">'
        f"{html.escape(_name(u))}</a></li>"
        for u in users
    )
    empty = "" if users else "<p>No users yet: create one in the web chat first.</p>"
    title = html.escape(f"Log in to a site with @{bot.username}")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><h1>{title}</h1><p>Sandbox login: choose who you are.</p>"
        f'<ul class="users">{items}</ul>{empty}</body></html>'
    )


def _name(user: Account) -> str:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"{name} (@{user.username})" if user.username else f"{name} ({user.id})"


WIDGET_SCRIPT = """\
(function () {
  var script = document.currentScript;
  var bot = script.getAttribute("data-telegram-login");
  var authUrl = new URL(script.getAttribute("data-auth-url") || location.href, location.href);
  var page = new URL("login-widget", script.src);
  page.searchParams.set("bot", bot);
  page.searchParams.set("return_to", authUrl.href);
  var button = document.createElement("a");
  button.href = page.href;
  button.textContent = "Log in with Telegram (sandbox)";
  button.className = "tg-login-button";
  button.style.cssText = "display:inline-block;padding:8px 16px;border-radius:18px;" +
    "background:#54a9eb;color:#fff;font:500 15px sans-serif;text-decoration:none";
  script.parentNode.insertBefore(button, script);
})();
"""


async def widget_script(request: Request) -> Response:
    return Response(WIDGET_SCRIPT, media_type="text/javascript")


ROUTES = [
    Route("/login-widget", login_widget),
    Route("/login-widget.js", widget_script),
]
