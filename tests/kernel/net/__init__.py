"""Tests of the guarded HTTP fetcher (`switchboard.kernel.net`)."""
