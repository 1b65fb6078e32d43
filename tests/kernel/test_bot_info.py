"""`switchboard_bot_info` holds one series per running bot: dashboards join on it
(`* on(bot) group_left(username)`), and two series for one bot make that query fail."""

from __future__ import annotations

from switchboard.kernel import telemetry


def info_series(bot: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for metric in telemetry.BOT_INFO.collect()
        for sample in metric.samples
        if sample.labels["bot"] == bot
    ]


def test_a_username_learnt_later_replaces_the_bots_info_series() -> None:
    telemetry.bot_running(987_001, "")
    telemetry.bot_running(987_001, "later_bot")
    assert info_series("987001") == [{"bot": "987001", "username": "later_bot"}]
    telemetry.bot_running(987_001, "later_bot")  # a reload with nothing new
    assert len(info_series("987001")) == 1
    telemetry.bot_stopped(987_001)
    assert info_series("987001") == []
