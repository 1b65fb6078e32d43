"""Reports (issue 16, items 6 and 7: "automatic hiding after K reports pending the bot owner's
review", "reports ... are durable jobs"): a report queues a job in its own transaction; the job
tells the bot's owners, with the review buttons, and hides the profile at K reports."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select

from switchboard.apps.match import jobs
from switchboard.apps.match.models import MatchProfile
from switchboard.apps.match.reporting import REPORT_JOB, file_report
from switchboard.kernel import JobRegistry
from switchboard.kernel.jobs.models import Job
from switchboard.sandbox.testing import SandboxClient
from switchboard.settings import load_settings

from .conftest import BOT_ID, Json, MatchServices, job_context, started_user


def _profile(user_id: int, name: str) -> MatchProfile:
    return MatchProfile(bot_id=BOT_ID, user_id=user_id, state="active", name=name, age=30)


async def _report(services: MatchServices, reporter: int, reported: int, reason: str) -> Job:
    """File the report as the report button does; the job it queued."""
    async with services.session_factory() as session, session.begin():
        viewer = await session.get(MatchProfile, reporter)
        other = await session.get(MatchProfile, reported)
        assert viewer is not None and other is not None
        report = await file_report(session, viewer, other, reason)
        assert report is not None
    async with services.session_factory() as session:
        job = await session.scalar(
            select(Job).where(
                Job.kind == REPORT_JOB, Job.payload["report_id"].as_integer() == report.id
            )
        )
    assert job is not None and job.unique_key == f"{REPORT_JOB}:{report.id}"
    return job


async def _run(services: MatchServices, job: Job) -> None:
    registry = JobRegistry()
    jobs.register(registry, cast(Any, services))
    handler = registry.get(REPORT_JOB)
    assert handler is not None
    await handler(job_context(services.session_factory, REPORT_JOB), dict(job.payload))


def _buttons(message: Json) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_a_report_tells_the_owners_and_the_kth_hides_the_profile(
    tg: SandboxClient, services: MatchServices
) -> None:
    services.settings = load_settings(match_reports_to_hide=2)
    owner = await started_user(tg, "Olga")
    services.owner_ids = {owner["id"]}
    async with services.session_factory() as session, session.begin():
        rita, vera, vlad = _profile(501, "Rita"), _profile(502, "Vera"), _profile(503, "Vlad")
        session.add_all([rita, vera, vlad])
    job = await _report(services, vera.id, rita.id, "fake")
    await _run(services, job)
    notice = await tg.expect_message(chat_id=owner["id"], contains="New report: Rita, 30")
    assert "Fake profile" in notice["text"] and "1 open report." in notice["text"]
    assert "stays visible" in notice["text"]
    report_id = job.payload["report_id"]
    assert _buttons(notice) == [f"mrev:{report_id}:restore", f"mrev:{report_id}:remove"]
    async with services.session_factory() as session:
        assert (await session.get(MatchProfile, rita.id)).state == "active"  # type: ignore[union-attr]

    job = await _report(services, vlad.id, rita.id, "spam")
    await _run(services, job)
    notice = await tg.expect_message(chat_id=owner["id"], contains="2 open reports")
    assert "hidden from everyone" in notice["text"]
    async with services.session_factory() as session:
        assert (await session.get(MatchProfile, rita.id)).state == "hidden"  # type: ignore[union-attr]
    async with services.session_factory() as session, session.begin():
        again = await file_report(
            session,
            await session.get(MatchProfile, vera.id),  # type: ignore[arg-type]
            await session.get(MatchProfile, rita.id),  # type: ignore[arg-type]
            "other",
        )
    assert again is None  # one report per pair
