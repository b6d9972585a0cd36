"""`account add` / `account edit` ask Slack whether the account's channels can do their jobs before
anything is written: the bot can post in them, the champion can read the shared one, and the escalation
and digest channels are for the vendor's eyes only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.channels import MEMBERS_JUDGED
from bot.slack.gateway import SlackGateway
from models import Account, DiaryEntry, Person
from slack_emulator import SlackEmulator
from tests.conftest import (
    ADMIN,
    CHAMPION,
    CSM,
    CUSTOMER_TEAM,
    ENGINEER,
    ESCALATION_CHANNEL,
    OTHER_CHAMPION,
    OUTSIDER_VENDOR,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Clock,
    RunningApp,
)
from tests.flows import ADD_ACME, run

VENDOR_PEOPLE = [CSM, ADMIN, ENGINEER, OUTSIDER_VENDOR]
NO_ZONE = "U0NOZONE"


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Account, Person, DiaryEntry)
        )


def add_acme(**options: str) -> str:
    extra = " ".join(f"{key}:{value}" for key, value in options.items())
    return f"{ADD_ACME} {extra}".strip()


def test_escalation_channel_shared_with_another_organisation_is_refused_and_nothing_is_written(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_channel("C0ESCSHARED", name="acme-connect", is_ext_shared=True, members=[CSM, CHAMPION])
    reply = run(
        web, emulator, "account add Acme channel:<#C0SHARED> escalations:<#C0ESCSHARED> champion:<@U0CHAMP>"
    )
    assert "<#C0ESCSHARED> is shared with another organisation" in reply
    assert "escalations quote the customer's misses and are for the vendor's eyes only" in reply
    assert counts(sessions) == (0, 0, 0)


def test_vendor_channel_with_a_customer_in_it_is_refused_as_the_escalation_channel(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_channel("C0ESCMIXED", name="acme-war-room", members=[CSM, ENGINEER, CHAMPION])
    reply = run(
        web, emulator, "account add Acme channel:<#C0SHARED> escalations:<#C0ESCMIXED> champion:<@U0CHAMP>"
    )
    assert f"<#C0ESCMIXED> has people from outside your organisation in it (<@{CHAMPION}>)" in reply
    assert "for the vendor's eyes only" in reply
    assert counts(sessions) == (0, 0, 0)


def test_a_guest_of_the_vendors_workspace_in_the_escalation_channel_is_refused_too(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_user("U0GUESTX", team_id=VENDOR_TEAM, name="guest", is_restricted=True)
    emulator.add_channel("C0ESCGUEST", name="acme-internal", members=[CSM, "U0GUESTX"])
    reply = run(
        web, emulator, "account add Acme channel:<#C0SHARED> escalations:<#C0ESCGUEST> champion:<@U0CHAMP>"
    )
    assert "has people from outside your organisation in it (<@U0GUESTX>)" in reply
    assert counts(sessions) == (0, 0, 0)


@pytest.mark.parametrize(
    ("bot_member", "is_archived", "expected"),
    [
        (False, False, "Invite @accountability to <#C0ESCAL> first"),
        (True, True, "<#C0ESCAL> is archived"),
    ],
)
def test_escalation_channel_the_bot_cannot_post_in_is_refused(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    bot_member: bool,
    is_archived: bool,
    expected: str,
) -> None:
    emulator.set_channel(ESCALATION_CHANNEL, bot_member=bot_member, is_archived=is_archived)
    assert expected in run(web, emulator, ADD_ACME)
    assert counts(sessions) == (0, 0, 0)


def test_bot_not_in_the_shared_channel_is_told_to_invite_it_and_nothing_is_written(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.set_channel(SHARED_CHANNEL, bot_member=False)
    reply = run(web, emulator, ADD_ACME)
    assert "Invite @accountability to <#C0SHARED> first (`/invite @accountability` in the channel)" in reply
    assert counts(sessions) == (0, 0, 0)


def test_private_shared_channel_the_bot_cannot_see_is_told_to_invite_it(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_channel(
        "C0PRIVSH",
        name="acme-private",
        is_private=True,
        is_ext_shared=True,
        members=[CSM, CHAMPION],
        bot_member=False,
    )
    reply = run(
        web, emulator, "account add Acme channel:<#C0PRIVSH> escalations:<#C0ESCAL> champion:<@U0CHAMP>"
    )
    assert "Invite @accountability to <#C0PRIVSH> first" in reply
    assert counts(sessions) == (0, 0, 0)


def test_reply_says_the_shared_channel_is_shared_where_checkins_go_and_when_the_review_is(
    web: RunningApp, emulator: SlackEmulator
) -> None:
    reply = run(web, emulator, ADD_ACME)
    assert "Account *Acme* created" in reply
    assert "<#C0SHARED> is shared with another organisation" in reply
    assert "Check-ins go by DM, and to <#C0SHARED> for anyone DMs don't reach" in reply
    assert "Weekly review in <#C0SHARED>: Fridays at 15:00 (the champion's time)" in reply


def test_a_shared_channel_that_is_not_shared_is_accepted_and_said(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_channel("C0INTERNAL", name="acme-internal", members=[CSM, CHAMPION])
    reply = run(
        web, emulator, "account add Acme channel:<#C0INTERNAL> escalations:<#C0ESCAL> champion:<@U0CHAMP>"
    )
    assert "Account *Acme* created" in reply
    assert "<#C0INTERNAL> is not shared with another organisation" in reply
    assert "the customer won't see what I post there unless you invite them" in reply
    assert counts(sessions)[0] == 1


def test_champion_not_in_the_shared_channel_is_refused_unless_checkins_go_by_dm(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.set_channel(SHARED_CHANNEL, members=VENDOR_PEOPLE)
    refused = run(web, emulator, ADD_ACME)
    assert f"<@{CHAMPION}> is not in <#C0SHARED>, so check-ins posted there would never reach them" in refused
    assert "`checkins:dm`" in refused
    assert counts(sessions) == (0, 0, 0)
    for delivery in ("channel", "auto"):
        assert "would never reach them" in run(web, emulator, add_acme(checkins=delivery))

    accepted = run(web, emulator, add_acme(checkins="dm"))
    assert "Account *Acme* created" in accepted
    assert "Check-ins go to each owner by DM." in accepted
    assert f"<@{CHAMPION}> is not in <#C0SHARED>: their check-ins go by DM" in accepted
    # Their check-ins can't move to the channel while they are not in it.
    assert "would never reach them" in run(web, emulator, "account edit Acme checkins:channel")
    with sessions() as session:
        assert session.scalars(select(Account.checkin_delivery)).one() == "dm"


def test_account_edit_to_a_shared_escalation_channel_is_refused_and_changes_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    before = counts(sessions)
    reply = run(web, emulator, "account edit Acme escalations:<#C0SHARED|acme-shared> outcome:x")
    assert "must differ" in reply
    emulator.add_channel("C0CONNECT2", name="acme-connect-2", is_ext_shared=True, members=[CSM, CHAMPION])
    reply = run(web, emulator, "account edit Acme escalations:<#C0CONNECT2> outcome:x")
    assert "<#C0CONNECT2> is shared with another organisation, so it can't be the escalation channel" in reply
    assert counts(sessions) == before
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        assert (account.escalation_channel_id, account.desired_outcome) == (ESCALATION_CHANNEL, None)


def test_account_edit_of_the_shared_channel_is_judged_and_said(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    emulator.add_channel("C0NEWSHARED", name="acme-new", is_ext_shared=True, members=[CSM], bot_member=False)
    assert "Invite @accountability to <#C0NEWSHARED> first" in run(
        web, emulator, "account edit Acme channel:<#C0NEWSHARED>"
    )
    emulator.set_channel("C0NEWSHARED", bot_member=True)
    assert f"<@{CHAMPION}> is not in <#C0NEWSHARED>" in run(
        web, emulator, "account edit Acme channel:<#C0NEWSHARED>"
    )
    emulator.set_channel("C0NEWSHARED", members=[CSM, CHAMPION])
    reply = run(web, emulator, "account edit Acme channel:<#C0NEWSHARED>")
    assert "Account *Acme* updated" in reply
    assert "<#C0NEWSHARED> is shared with another organisation" in reply
    assert "Weekly review in <#C0NEWSHARED>" in reply
    with sessions() as session:
        assert session.scalars(select(Account.shared_channel_id)).one() == "C0NEWSHARED"


def test_an_edit_that_names_no_channel_or_champion_asks_slack_nothing_about_channels(
    web: RunningApp, emulator: SlackEmulator
) -> None:
    run(web, emulator, ADD_ACME)
    before = len(emulator.calls_to("conversations.info"))
    reply = run(web, emulator, 'account edit Acme outcome:"Live by March" review:off')
    assert "Account *Acme* updated" in reply and "Weekly review: off" in reply
    assert len(emulator.calls_to("conversations.info")) == before


def test_digest_channel_shared_with_another_organisation_is_refused(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_channel("C0DIGESTX", name="managers-connect", is_ext_shared=True, members=[CSM, CHAMPION])
    reply = run(web, emulator, add_acme(digest="<#C0DIGESTX>"))
    assert "<#C0DIGESTX> is shared with another organisation, so it can't be the digest channel" in reply
    assert counts(sessions) == (0, 0, 0)
    emulator.add_channel("C0DIGESTOK", name="cs-managers", members=[CSM, ADMIN], bot_member=False)
    assert "Invite @accountability to <#C0DIGESTOK> first" in run(
        web, emulator, add_acme(digest="<#C0DIGESTOK>")
    )
    emulator.set_channel("C0DIGESTOK", bot_member=True)
    assert "Account *Acme* created" in run(web, emulator, add_acme(digest="<#C0DIGESTOK>"))


def test_slack_failing_while_the_channels_are_checked_changes_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.fail_next("conversations.members", status=503, count=5)
    reply = run(web, emulator, ADD_ACME)
    assert "Slack did not answer as expected" in reply and "nothing was changed" in reply
    assert "Traceback" not in reply
    assert counts(sessions) == (0, 0, 0)


def test_the_account_form_is_judged_like_the_command(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    from tests.e2e.test_forms_end_to_end import account_values

    emulator.add_channel("C0ESCFORM", name="acme-connect", is_ext_shared=True, members=[CSM, CHAMPION])
    escalations = {"type": "conversations_select", "selected_conversation": "C0ESCFORM"}
    result = web.slack.submit_view(
        callback_id="account_add_form", values=account_values(escalations=escalations), user_id=CSM
    )
    assert result.status == 200
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[0]
    assert "<#C0ESCFORM> is shared with another organisation" in dm.params["text"]
    assert counts(sessions) == (0, 0, 0)


@pytest.mark.parametrize(
    ("display_name", "real_name", "shown"),
    [("Jo", "Joanna Bloggs", "Jo"), ("", "Joanna Bloggs", "Joanna Bloggs"), ("", "", "U0NAMES")],
)
def test_people_of_another_organisation_are_named_by_display_name_then_real_name_then_id(
    emulator: SlackEmulator, gateway: SlackGateway, display_name: str, real_name: str, shown: str
) -> None:
    emulator.add_user(
        "U0NAMES", team_id=CUSTOMER_TEAM, name="jo.handle", real_name=real_name, display_name=display_name
    )
    assert gateway.user_profile("U0NAMES").name == shown


def champion_without_zone(emulator: SlackEmulator) -> None:
    emulator.add_user(NO_ZONE, team_id=CUSTOMER_TEAM, name="kim", tz=None)
    emulator.set_channel(SHARED_CHANNEL, members=[*VENDOR_PEOPLE, CHAMPION, NO_ZONE])


def test_a_missing_time_zone_is_recorded_unknown_and_the_csm_told_once(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    champion_without_zone(emulator)
    told = f"Slack has no time zone for <@{NO_ZONE}>, so their check-ins use UTC until you set one"
    reply = run(
        web, emulator, f"account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@{NO_ZONE}>"
    )
    assert told in reply
    assert f"`/accountability person <@{NO_ZONE}> tz:Europe/Paris`" in reply
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.user_id == NO_ZONE)).one()
        assert (person.tz, person.tz_unknown_told) == (None, True)
    run(web, emulator, f"account edit Acme champion:<@{CHAMPION}>")
    clock.now += timedelta(days=2)  # their cached profile is stale: Slack is asked again
    again = run(web, emulator, f"account edit Acme champion:<@{NO_ZONE}>")
    assert "Account *Acme* updated" in again and told not in again


def test_the_csm_is_told_by_dm_when_someone_else_named_the_person(
    web: RunningApp, emulator: SlackEmulator
) -> None:
    champion_without_zone(emulator)
    reply = run(
        web,
        emulator,
        f"account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@{NO_ZONE}> csm:<@{CSM}>",
        user_id=ADMIN,
    )
    assert f"Slack has no time zone for <@{NO_ZONE}>" in reply
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[0]
    assert f"Slack has no time zone for <@{NO_ZONE}>" in dm.params["text"]


def test_a_csm_who_cannot_be_told_by_dm_is_named_in_the_reply_instead(
    web: RunningApp, emulator: SlackEmulator
) -> None:
    champion_without_zone(emulator)
    emulator.set_dm_error(CSM, "restricted_action")
    try:
        reply = run(
            web,
            emulator,
            f"account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@{NO_ZONE}> csm:<@{CSM}>",
            user_id=ADMIN,
        )
    finally:
        emulator.set_dm_error(CSM, None)
    assert (
        f"I couldn't tell <@{CSM}> this by DM (the workspace's settings don't let the bot post there)"
        in reply
    )
    assert "restricted_action" not in reply


def test_a_refresh_without_a_zone_keeps_the_zone_someone_set(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    champion_without_zone(emulator)
    run(web, emulator, f"account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@{NO_ZONE}>")
    with sessions.begin() as session:
        session.execute(update(Person).where(Person.user_id == NO_ZONE).values(tz="Europe/Paris"))
    run(web, emulator, f"account edit Acme champion:<@{CHAMPION}>")
    clock.now += timedelta(days=2)
    before = len(emulator.calls_to("users.info"))
    run(web, emulator, f"account edit Acme champion:<@{NO_ZONE}>")
    assert any(c.params["user"] == NO_ZONE for c in emulator.calls_to("users.info")[before:])
    with sessions() as session:
        assert session.scalars(select(Person.tz).where(Person.user_id == NO_ZONE)).one() == "Europe/Paris"


GRID = "E0VENDORGRID"
SIBLING = "U0SIBLING"


@pytest.fixture
def grid_web(emulator: SlackEmulator, request: pytest.FixtureRequest) -> Iterator[RunningApp]:
    """The app installed org-wide on the vendor's Enterprise Grid organisation (auth.test says so when
    the app starts), with a colleague in a sibling workspace of that organisation."""
    emulator.add_user(SIBLING, team_id="T0VENDORSIB", name="sam", tz="Europe/Paris", enterprise_id=GRID)
    emulator.set_enterprise(GRID)
    try:
        yield request.getfixturevalue("web")
    finally:
        emulator.set_enterprise(None)


def test_a_colleague_in_a_sibling_grid_workspace_is_vendor_side_and_another_organisation_is_not(
    grid_web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    refused = run(grid_web, emulator, add_acme(csm=f"<@{OTHER_CHAMPION}>"))
    assert f"<@{OTHER_CHAMPION}> is not one of the vendor's own people" in refused
    assert counts(sessions)[0] == 0
    reply = run(grid_web, emulator, add_acme(csm=f"<@{SIBLING}>", manager=f"<@{SIBLING}>"))
    assert "Account *Acme* created" in reply
    with sessions() as session:
        sibling = session.scalars(select(Person).where(Person.user_id == SIBLING)).one()
        assert not sibling.is_external
        assert session.scalars(select(Account.csm_user_id)).one() == SIBLING


def test_a_very_large_vendor_channel_is_judged_by_slack_connect_alone_without_a_lookup_per_member(
    web: RunningApp, emulator: SlackEmulator
) -> None:
    crowd = [f"U0CROWD{n:03d}" for n in range(MEMBERS_JUDGED + 20)]
    for user_id in crowd:
        emulator.add_user(user_id, team_id=VENDOR_TEAM)
    emulator.add_channel("C0ALLHANDS", name="all-hands", members=[*VENDOR_PEOPLE, *crowd])
    reply = run(
        web, emulator, "account add Acme channel:<#C0SHARED> escalations:<#C0ALLHANDS> champion:<@U0CHAMP>"
    )
    assert "Account *Acme* created" in reply
    assert not any(c.params["user"] in crowd for c in emulator.calls_to("users.info"))
