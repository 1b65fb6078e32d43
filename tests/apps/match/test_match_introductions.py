"""What people see of each other (issue 16, items 2 and 4): a close distance reads "< 1 km" as
the issue shows it, in English and Russian, and an introduction links to a public username
when there is one, since Telegram drops `tg://user` mentions of users whose privacy forbids
them."""

from __future__ import annotations

import pytest

from switchboard.apps.match.cards import card_text
from switchboard.apps.match.contact import contact_link
from switchboard.apps.match.models import MatchProfile
from switchboard.kernel import Translator


@pytest.mark.parametrize(
    ("locale", "near", "far"), [("en", "< 1 km away", "~5 km away"), ("ru", "< 1 км", "~5 км")]
)
def test_distances_read_as_the_issue_writes_them(
    translator: Translator, locale: str, near: str, far: str
) -> None:
    profile = MatchProfile(name="Anna", age=30, interests=[], bio="")
    _ = translator.bind(locale)
    assert card_text(profile, 0.4, _).splitlines()[1] == near
    assert card_text(profile, 5.2, _).splitlines()[1] == far


def test_a_username_gets_a_t_me_link_and_no_username_keeps_the_mention() -> None:
    assert contact_link(7, "Anna <3", "anna_w") == (
        '<a href="https://t.me/anna_w">Anna &lt;3</a> (@anna_w)'
    )
    assert contact_link(7, "Bob", None) == '<a href="tg://user?id=7">Bob</a>'
    assert contact_link(7, "Bob", "x y") == '<a href="tg://user?id=7">Bob</a>'  # not a username
