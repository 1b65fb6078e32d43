"""OpenID Connect logins (Google, or any standard issuer), through Authlib.

Each provider in OIDC_PROVIDERS is an Authlib client of its issuer's discovery document. A login
goes the authorization-code way with PKCE (S256), a `state` and a `nonce`:
1. `/oidc/<name>/login` sends the browser to the issuer; what the callback needs to check the
   answer (state, nonce, PKCE verifier, redirect URI) waits in a short-lived signed cookie,
   `sb_oidc`, so any replica of the web app can finish the login;
2. `/oidc/<name>/callback` checks the state, trades the code for tokens and checks the ID token
   (signature by the issuer's keys, `iss`, `aud`, expiry, nonce); its `sub` under its `iss` is
   the person. Their e-mail is kept only when the issuer says it is verified (`ADMIN_EMAILS`
   trusts it).
A login started with a link intent (`identity_links`) carries it in the same cookie, so the
callback links the identity to the logged-in account instead of logging in with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

with warnings.catch_warnings():
    # Authlib 1.9 warns, on import, that it would rather use the `httpx2` fork than httpx;
    # it works with httpx, and the warning on every start-up (stderr) says nothing to act on.
    # Its own module asks for "always" on import: the ignore goes in front of that.
    import authlib.deprecate  # type: ignore[import-untyped]  # noqa: F401

    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
    from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc.errors import JoseError

from switchboard.settings import OidcProvider, Settings
from switchboard.web.auth.login_accounts import OidcIdentity
from switchboard.web.auth.telegram_login import LoginRefused
from switchboard.web.sessions import secret_key

__all__ = [
    "FLOW_COOKIE",
    "FLOW_MAX_AGE",
    "FinishedLogin",
    "FlowRefused",
    "OidcLogins",
    "PendingLogin",
]

FLOW_COOKIE = "sb_oidc"
FLOW_MAX_AGE = 600
"""Seconds a person has at the issuer before the login must start over."""
_SALT = "switchboard.web.oidc-flow"


class FlowRefused(Exception):
    """The callback does not belong to a login started here (a 400): no state, or another;
    `code` says which."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class PendingLogin:
    """Where to send the browser, and the signed cookie the callback checks it against."""

    url: str
    cookie: str


@dataclass(frozen=True)
class FinishedLogin:
    """Who the issuer vouches for, and the link intent the login was started with (if any)."""

    identity: OidcIdentity
    link: str | None


class OidcLogins:
    """The configured providers' Authlib clients (their discovery documents cached)."""

    def __init__(self, settings: Settings) -> None:
        self.providers: dict[str, OidcProvider] = {p.name: p for p in settings.oidc_providers}
        self.serializer = URLSafeTimedSerializer(secret_key(settings), salt=_SALT)
        self.oauth = OAuth()
        for provider in settings.oidc_providers:
            secret = provider.client_secret
            self.oauth.register(
                name=provider.name,
                client_id=provider.client_id,
                client_secret=secret.get_secret_value() if secret is not None else None,
                server_metadata_url=provider.metadata_url,
                client_kwargs={"scope": provider.scope, "code_challenge_method": "S256"},
            )

    def _client(self, name: str) -> Any:
        return self.oauth.create_client(name)

    async def start(self, name: str, redirect_uri: str, link: str | None = None) -> PendingLogin:
        """Begin a login with provider `name` (one of `providers`), to link with `link`."""
        try:
            made = await self._client(name).create_authorization_url(redirect_uri)
        except (AuthlibBaseError, httpx.HTTPError, ValueError) as error:
            raise LoginRefused(
                f"the provider {name!r} cannot be reached: {error}", "login_provider_unreachable"
            ) from None
        flow = {
            "p": name,
            "s": made["state"],
            "n": made["nonce"],
            "v": made["code_verifier"],
            "r": redirect_uri,
        }
        if link is not None:
            flow["l"] = link
        return PendingLogin(str(made["url"]), self.serializer.dumps(flow))

    async def finish(
        self, name: str, query: Mapping[str, str], cookie: str | None
    ) -> FinishedLogin:
        """Check the issuer's answer against the login started in `cookie`; who it vouches for.

        A missing, expired or other login's state is `FlowRefused`; an issuer's refusal or a
        bad token is `LoginRefused`."""
        if "error" in query:  # changes nothing, so it needs no state (some issuers send none)
            reason = query.get("error_description") or query["error"]
            raise LoginRefused(f"the provider refused the login: {reason}")
        try:
            flow = self.serializer.loads(cookie or "", max_age=FLOW_MAX_AGE)
        except BadSignature:
            raise FlowRefused(
                "no login in progress here (or it expired): start again", "login_flow_missing"
            ) from None
        if not isinstance(flow, dict) or flow.get("p") != name:
            raise FlowRefused(
                "this login was started with another provider: start again",
                "login_flow_other_provider",
            )
        if not query.get("state") or query.get("state") != flow.get("s"):
            raise FlowRefused(
                "the state does not match the login started here: start again",
                "login_flow_state",
            )
        if not query.get("code"):
            raise LoginRefused("the provider's answer has no code")
        client = self._client(name)
        try:
            token = await client.fetch_access_token(
                redirect_uri=flow["r"], code=query["code"], code_verifier=flow["v"]
            )
            claims = await client.parse_id_token(token, nonce=flow["n"])
        except (AuthlibBaseError, JoseError, httpx.HTTPError, ValueError, KeyError) as error:
            raise LoginRefused(f"the provider's answer does not check: {error}") from None
        if not claims or not claims.get("sub") or not claims.get("iss"):
            raise LoginRefused("the provider sent no ID token with a subject")
        email = claims.get("email") if claims.get("email_verified") is True else None
        identity = OidcIdentity(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            name=str(claims.get("name") or ""),
            email=str(email) if email else None,
        )
        link = flow.get("l")
        return FinishedLogin(identity, link if isinstance(link, str) else None)
