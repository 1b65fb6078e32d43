"""The kernel's public surface: what apps may use.

Apps import from `switchboard.kernel`, never from its modules (import-linter's contract in
pyproject.toml), so the kernel's insides can move without touching an app.
"""

from switchboard.kernel.apps import (
    App,
    AppCommand,
    AppSchedule,
    DigestCounts,
    PlatformServices,
    TimezoneChanged,
    UserDataDelete,
    UserDataExport,
)
from switchboard.kernel.command_menus import forget_user_menu, publish_user_menu
from switchboard.kernel.email import (
    Added,
    AddressError,
    EmailError,
    EmailKind,
    EmailMessage,
    EmailSender,
    MailjetEmailSender,
    Owner,
    SmtpEmailSender,
    add_address,
    address_export,
    addresses_of,
    alerts_address,
    email_sender,
    forget_addresses,
    is_email_address,
    raise_alert,
    remove_address,
    set_digest,
    unsubscribe_headers,
)
from switchboard.kernel.filters import HasLocation, HasText, IsCommand
from switchboard.kernel.fsm import DatabaseStorage, bind_session, forget_user
from switchboard.kernel.fsm_models import FsmState
from switchboard.kernel.housekeeping import Retention
from switchboard.kernel.i18n import Translate, Translator
from switchboard.kernel.jobs import (
    JobContext,
    JobRegistry,
    JobState,
    PermanentFailure,
    RetryLater,
    count_jobs_by_state,
    enqueue,
    is_job_running,
    upsert_schedule,
)
from switchboard.kernel.models import ChatRecord, ProcessedUpdate, UserRecord
from switchboard.kernel.net import (
    HTML_MEDIA_TYPES,
    AddressGuard,
    AddressPolicy,
    FetchedResource,
    FetchError,
    FetchFailureReason,
    FetchLimits,
    GuardedFetcher,
    Resolver,
    Validators,
    decode_text,
    normalised,
    parse_link,
    system_resolver,
)
from switchboard.kernel.pipeline.job_calls import JobCalls
from switchboard.kernel.pipeline.records import mark_chat_inactive
from switchboard.kernel.pipeline.send_turns import uncertain_call
from switchboard.kernel.pipeline.written_calls import WrittenCall, make_written_call, write_call
from switchboard.kernel.questions import cancel_button, cancel_keyboard
from switchboard.kernel.rate_limits import RateLimitUnavailable, SlidingWindow, WindowDecision
from switchboard.kernel.rollups import active_days, forget_active_user
from switchboard.kernel.routing import (
    GatedRouter,
    NeedsFields,
    TakesNoCommand,
    commands_or_in_state,
)
from switchboard.kernel.sender import bulk_sends
from switchboard.kernel.token_vault import TokenKeyError, token_cipher
from switchboard.kernel.token_vault import reveal as reveal_secret
from switchboard.kernel.token_vault import seal as seal_secret
from switchboard.kernel.user_time import (
    change_user_timezone,
    local_time,
    show_time,
    user_timezone_of,
    zone_named,
)
from switchboard.kernel.web_routes import (
    AppHttpError,
    AppWeb,
    MiniAppUser,
    MiniAppUserDep,
    WebOwner,
    WebOwnerDep,
    WebSessionDep,
)

__all__ = [
    "HTML_MEDIA_TYPES",
    "Added",
    "AddressError",
    "AddressGuard",
    "AddressPolicy",
    "App",
    "AppCommand",
    "AppHttpError",
    "AppSchedule",
    "AppWeb",
    "ChatRecord",
    "DatabaseStorage",
    "DigestCounts",
    "EmailError",
    "EmailKind",
    "EmailMessage",
    "EmailSender",
    "FetchError",
    "FetchFailureReason",
    "FetchLimits",
    "FetchedResource",
    "FsmState",
    "GatedRouter",
    "GuardedFetcher",
    "HasLocation",
    "HasText",
    "IsCommand",
    "JobCalls",
    "JobContext",
    "JobRegistry",
    "JobState",
    "MailjetEmailSender",
    "MiniAppUser",
    "MiniAppUserDep",
    "NeedsFields",
    "Owner",
    "PermanentFailure",
    "PlatformServices",
    "ProcessedUpdate",
    "RateLimitUnavailable",
    "Resolver",
    "Retention",
    "RetryLater",
    "SlidingWindow",
    "SmtpEmailSender",
    "TakesNoCommand",
    "TimezoneChanged",
    "TokenKeyError",
    "Translate",
    "Translator",
    "UserDataDelete",
    "UserDataExport",
    "UserRecord",
    "Validators",
    "WebOwner",
    "WebOwnerDep",
    "WebSessionDep",
    "WindowDecision",
    "WrittenCall",
    "active_days",
    "add_address",
    "address_export",
    "addresses_of",
    "alerts_address",
    "bind_session",
    "bulk_sends",
    "cancel_button",
    "cancel_keyboard",
    "change_user_timezone",
    "commands_or_in_state",
    "count_jobs_by_state",
    "decode_text",
    "email_sender",
    "enqueue",
    "forget_active_user",
    "forget_addresses",
    "forget_user",
    "forget_user_menu",
    "is_email_address",
    "is_job_running",
    "local_time",
    "make_written_call",
    "mark_chat_inactive",
    "normalised",
    "parse_link",
    "publish_user_menu",
    "raise_alert",
    "remove_address",
    "reveal_secret",
    "seal_secret",
    "set_digest",
    "show_time",
    "system_resolver",
    "token_cipher",
    "uncertain_call",
    "unsubscribe_headers",
    "upsert_schedule",
    "user_timezone_of",
    "write_call",
    "zone_named",
]
