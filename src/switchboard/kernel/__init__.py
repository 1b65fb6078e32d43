"""What every app stands on: bots, pipeline, sender, jobs, i18n, telemetry."""
