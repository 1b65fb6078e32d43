"""Tests of link previews (`switchboard.apps.notes.links`)."""
