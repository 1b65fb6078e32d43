"""The offline Telegram Login Widget: the sandbox lists its users, and sends the chosen one
back to the site with fields signed as Telegram signs them (checked here by Telegram's own
recipe, written out independently of the sandbox's code)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import httpx

from switchboard.sandbox.testing import SandboxClient

from .conftest import new_token


def telegram_check(bot_token: str, fields: dict[str, str]) -> bool:
    """https://core.telegram.org/widgets/login#checking-authorization"""
    lines = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["hash"])


async def test_the_widget_signs_the_chosen_user_for_the_site(
    http: httpx.AsyncClient, tg: SandboxClient
) -> None:
    token = new_token()
    bot_id = int(token.split(":")[0])
    await tg.create_bot(token, first_name="Site Bot", username=f"site_{bot_id}_bot")
    user = await tg.create_user("Ann", last_name="Lee", username=f"ann{bot_id}")
    return_to = "http://site.example/auth/callback?bot_id=7&next=%2Fhome"
    params = {"bot": f"site_{bot_id}_bot", "return_to": return_to}

    page = await http.get("/login-widget", params=params)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Ann Lee (@ann{bot_id})" in page.text and "user_id=" in page.text

    chosen = await http.get("/login-widget", params={**params, "user_id": user["id"]})
    assert chosen.status_code == 302
    location = urlsplit(chosen.headers["location"])
    assert (location.scheme, location.netloc, location.path) == (
        "http", "site.example", "/auth/callback",
    )  # fmt: skip
    query = dict(parse_qsl(location.query))
    assert query.pop("bot_id") == "7" and query.pop("next") == "/home"  # the site's own kept
    assert {k: query[k] for k in ("id", "first_name", "last_name", "username")} == {
        "id": str(user["id"]), "first_name": "Ann", "last_name": "Lee",
        "username": f"ann{bot_id}",
    }  # fmt: skip
    assert query["auth_date"].isdigit()
    assert telegram_check(token, query)
    assert not telegram_check(new_token(), query)  # another bot's token does not check
    assert not telegram_check(token, {**query, "id": "1"})


async def test_the_widget_refuses_what_it_cannot_do(
    http: httpx.AsyncClient, tg: SandboxClient
) -> None:
    token = new_token()
    bot_id = int(token.split(":")[0])
    await tg.create_bot(token, username=f"w_{bot_id}_bot")
    good = {"bot": f"w_{bot_id}_bot", "return_to": "http://site.example/cb"}
    for params, status, reason in [
        ({"return_to": "http://site.example/cb"}, 400, "bot is required"),
        ({**good, "return_to": "javascript:alert(1)"}, 400, "return_to"),
        ({**good, "bot": "nobody_bot"}, 404, "no bot @nobody_bot"),
        ({**good, "user_id": "123"}, 404, "no user 123"),
        ({**good, "user_id": str(bot_id)}, 404, f"no user {bot_id}"),  # a bot is no user
    ]:
        answer = await http.get("/login-widget", params=params)
        assert answer.status_code == status, params
        assert reason in answer.json()["error"]


async def test_the_widget_script_opens_the_page(http: httpx.AsyncClient) -> None:
    script = await http.get("/login-widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "data-telegram-login" in script.text and "data-auth-url" in script.text
