"""The owner API's jobs, on both databases: a bot's jobs are those whose payload names it
(paged, by state), a dead one is queued again with its payload, a queued one cancelled, a
running one refused; other bots' jobs and the deployment's are not the owner's to see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from owner_platform import OTHER_TOKEN, OWNED_TOKEN, WebPlatform, web_platform

from switchboard.kernel.jobs import Job, JobState, enqueue
from switchboard.sandbox.testing import SandboxServer

LATER = datetime.now(UTC) + timedelta(days=1)  # queued jobs stay queued (no worker runs)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        yield server


async def _job(web: WebPlatform, payload: dict[str, object], state: JobState) -> int:
    async with web.sessions() as session, session.begin():
        job = await enqueue(session, "tests.job", payload, run_at=LATER, max_attempts=3)
        assert job is not None
        job.state = state.value
        if state is JobState.DEAD:
            job.attempts, job.last_error = 3, "Traceback (most recent call last):\nValueError: no"
        await session.flush()
        return job.id


async def test_an_owner_pages_retries_and_cancels_their_bots_jobs(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with web_platform(sandbox, migrated_url) as web:
        bot = await web.add_owned_bot(OWNED_TOKEN, "owner")
        other_bot = await web.add_owned_bot(OTHER_TOKEN, "other")
        queued = [await _job(web, {"bot_id": bot, "n": n}, JobState.QUEUED) for n in range(3)]
        dead = await _job(web, {"bot_id": bot, "note_id": 7}, JobState.DEAD)
        running = await _job(web, {"bot_id": bot}, JobState.RUNNING)
        others = await _job(web, {"bot_id": other_bot}, JobState.DEAD)
        deployments = await _job(web, {"source_id": 5}, JobState.DEAD)

        async with web.client("owner") as owner:
            url = f"/api/v1/bots/{bot}/jobs"
            first = (await owner.get(url, params={"state": "queued", "per_page": 2})).json()
            assert first["total"] == 3 and first["page"] == 1 and first["per_page"] == 2
            assert [job["id"] for job in first["items"]] == [queued[2], queued[1]]
            second = await owner.get(url, params={"state": "queued", "per_page": 2, "page": 2})
            assert [job["id"] for job in second.json()["items"]] == [queued[0]]
            letters = (await owner.get(url, params={"state": "dead"})).json()
            assert [job["id"] for job in letters["items"]] == [dead]  # not the others'
            assert letters["items"][0]["last_error"] == "ValueError: no"
            everything = (await owner.get(url)).json()
            assert everything["total"] == 5 and {j["bot_id"] for j in everything["items"]} == {bot}
            assert (await owner.get(url, params={"state": "lost"})).status_code == 422

            retried = await owner.post(f"{url}/{dead}/retry")
            assert retried.status_code == 200
            assert retried.json()["state"] == "queued" and retried.json()["attempts"] == 0
            async with web.sessions() as session:
                job = await session.get(Job, dead)
                assert job is not None and job.payload == {"bot_id": bot, "note_id": 7}
            not_dead = await owner.post(f"{url}/{queued[0]}/retry")
            assert not_dead.status_code == 409 and "queued" in not_dead.json()["detail"]

            cancelled = await owner.post(f"{url}/{queued[0]}/cancel")
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
            busy = await owner.post(f"{url}/{running}/cancel")
            assert busy.status_code == 409 and "running" in busy.json()["detail"]

            # Another bot's job through the owner's bot, and the deployment's: as if absent.
            for job_id in (others, deployments, 10**9):
                assert (await owner.post(f"{url}/{job_id}/retry")).status_code == 404
                assert (await owner.post(f"{url}/{job_id}/cancel")).status_code == 404
            assert (await owner.get(f"/api/v1/bots/{other_bot}/jobs")).status_code == 404
            assert (await owner.get("/api/v1/jobs")).status_code == 403

        async with web.client("admin") as admin:
            all_dead = (await admin.get("/api/v1/jobs", params={"state": "dead"})).json()
            assert {job["id"] for job in all_dead["items"]} == {others, deployments}
            assert (await admin.get("/api/v1/jobs")).json()["total"] == 7
        async with web.sessions() as session:
            job = await session.get(Job, others)
            assert job is not None and job.state == "dead"  # untouched by the owner's tries
