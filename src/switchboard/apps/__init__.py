"""Apps a bot can enable: core (always), notes, calendar, repost, match."""
