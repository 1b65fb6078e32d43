"""API errors in the caller's language, each with a stable machine `code` beside its text.

The body keeps FastAPI's shape, so a client that reads `detail` reads it as before:
- `{"detail": "<sentence>", "code": "<code>"}` for an error a route raises (`ApiError`, whose
  text is the web catalogue's `web.error.<code>`; an app's `AppHttpError`, whose text is its
  app catalogue's key and whose code it names; or a plain `HTTPException`, whose sentence
  stays as it is and whose code is its status's: `not_found`, `conflict`, …);
- `{"detail": [{"type", "loc", "msg", "input", …}], "code": "invalid_input"}` for a request the
  schema refuses, each `msg` translated by its pydantic `type` (`web.invalid.<type>`) when the
  catalogue has that type, else pydantic's English (which English callers get as it is).

The language is the Mini App's Telegram `language_code` (from its `Authorization: tma` initData:
read only to choose a language, the route checks its signature), else Accept-Language, else
English; the answer says which in `Content-Language`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from switchboard.kernel import AppHttpError
from switchboard.web.pages.rendering import PAGE_LANGUAGES, page_language, page_translator

__all__ = ["API_PREFIX", "ApiError", "install_error_handlers", "request_language"]

API_PREFIX = "/api/v1"
INVALID_INPUT = "invalid_input"
_UNTRANSLATED_TYPES = frozenset({"value_error", "assertion_error"})
"""Their `msg` is the domain's own sentence (`invalid_body_field`), not pydantic's template."""


class ApiError(StarletteHTTPException):
    """An error whose text is `web.error.<code>` of the web catalogue, with `params`."""

    def __init__(
        self,
        status_code: int,
        code: str,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(status_code, detail=code, headers=headers)
        self.code = code
        self.params = params


def _status_code_name(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def request_language(request: Request) -> str:
    """The language the API answers `request` in: "en" or "ru"."""
    scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "tma" and init_data.strip():
        try:
            user = json.loads(dict(parse_qsl(init_data.strip())).get("user", "{}"))
        except ValueError:
            user = None
        code = user.get("language_code") if isinstance(user, dict) else None
        if isinstance(code, str):
            language = code.lower().split("-")[0]
            if language in PAGE_LANGUAGES:
                return language
    return page_language(request)


def _answer(
    status: int, body: dict[str, Any], language: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    response = JSONResponse(body, status_code=status, headers=headers)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Authorization"
    return response


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    is_api = request.url.path.startswith(API_PREFIX)
    if not isinstance(error, ApiError | AppHttpError) and not is_api:
        return await http_exception_handler(request, error)
    if error.status_code < 400:  # no body (a 304 and the like): as FastAPI answers it
        return await http_exception_handler(request, error)
    language = request_language(request)
    translator = page_translator(request)
    if isinstance(error, ApiError):
        code = error.code
        detail = translator.t(f"web.error.{code}", language, **error.params)
    elif isinstance(error, AppHttpError):
        code = error.code
        detail = translator.t(error.key, language, **error.params)
    else:
        code = _status_code_name(error.status_code)
        detail = error.detail
        # Starlette's own (a route that does not exist, a method it lacks) says only the
        # status's phrase: that much is in the catalogue.
        key = f"web.error.{code}"
        if detail == HTTPStatus(error.status_code).phrase and key in translator.catalog("en"):
            detail = translator.t(key, language)
    body = {"detail": jsonable_encoder(detail), "code": code}
    return _answer(error.status_code, body, language, error.headers)


async def _invalid_input(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if not request.url.path.startswith(API_PREFIX):
        return await request_validation_exception_handler(request, error)
    language = request_language(request)
    translator = page_translator(request)
    known = translator.catalog("en")
    errors = jsonable_encoder(error.errors())
    for item in errors if language != "en" else ():  # English: pydantic's own, word for word
        kind = item.get("type")
        key = f"web.invalid.{kind}"
        if kind in _UNTRANSLATED_TYPES or key not in known:
            continue
        context = item.get("ctx") if isinstance(item.get("ctx"), dict) else {}
        item["msg"] = translator.t(key, language, **context)
    return _answer(422, {"detail": errors, "code": INVALID_INPUT}, language)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_input)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document, its 422 body (`HTTPValidationError`) with the `code` we add."""
        if app.openapi_schema is None:
            schema = generate()
            body = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
            if body is not None:
                body.setdefault("properties", {})["code"] = {
                    "type": "string",
                    "title": "Code",
                    "description": f"always {INVALID_INPUT!r}: the request's input is refused",
                }
        assert app.openapi_schema is not None
        return app.openapi_schema

    # FastAPI documents the customisation this way (assign the app's `openapi`).
    app.openapi = openapi  # type: ignore[method-assign]
