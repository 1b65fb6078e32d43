"""The notes app's Prometheus metrics (no user, chat or topic ids as labels)."""

from __future__ import annotations

from prometheus_client import Counter

CAPTURED = Counter("switchboard_notes_captured_total", "Notes captured, by kind.", ["kind"])
FILED = Counter(
    "switchboard_notes_filed_total",
    "Notes filed; first_choice is true when the user took the best guess, false for another "
    "topic, none when filed by timeout or auto-filing.",
    ["first_choice"],
)
CLASSIFICATIONS = Counter(
    "switchboard_notes_classifications_total",
    "Rankings made, by the provider that answered.",
    ["provider"],
)
TRANSCRIPTIONS = Counter(
    "switchboard_notes_transcriptions_total", "Transcription job outcomes.", ["outcome"]
)
LINKS = Counter("switchboard_notes_link_previews_total", "Link preview outcomes.", ["outcome"])


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
CAPTURED.labels(kind="text")
for _choice in ("true", "false", "none"):
    FILED.labels(first_choice=_choice)
CLASSIFICATIONS.labels(provider="local")
for _outcome in ("done", "failed", "unavailable"):
    TRANSCRIPTIONS.labels(outcome=_outcome)
for _outcome in ("ok", "refused"):
    LINKS.labels(outcome=_outcome)
