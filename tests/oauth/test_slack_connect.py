"""A customer of another organisation, in a Slack Connect channel with a vendor that installed the app
through OAuth, acts as Slack sends them: their clicks carry their own organisation's team ID. They act
in the vendor's installation — whether or not their own organisation installed the app too — and
nothing of any other installation is read or changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from models import Answer, CheckIn, Commitment
from tests.oauth.conftest import (
    ALPHA,
    ESCALATIONS,
    PEOPLE,
    TUESDAY_CHECKINS,
    OAuthApp,
    Workspaces,
    add_to_slack_href,
    buttons,
    get,
    state_cookie,
)

GLOBEX = "T0GLOBEX"  # the customer's own organisation
CHAMPION = "U0GLOBEXCHAMP"
DESK = "C0ALPHAGLOBEX"  # Alpha's Slack Connect channel with Globex
GLOBEX_ADMIN = "U0GLOBEXADMIN"


@pytest.fixture
def connected(workspaces: Workspaces) -> Iterator[Workspaces]:
    """Alpha's account Globex, whose champion is a Globex employee in Alpha's shared channel, and a
    customer commitment the champion has agreed to (the agreement click itself carries Globex's team)."""
    emulator = workspaces.emulator
    emulator.add_workspace(GLOBEX, name="Globex")
    emulator.add_user(CHAMPION, team_id=GLOBEX, name="gina", tz="Europe/Berlin")
    emulator.add_user(GLOBEX_ADMIN, team_id=GLOBEX, name="globex-admin", tz="Europe/Berlin")
    csm = PEOPLE[ALPHA][0]
    emulator.add_channel(
        DESK, name="alpha-globex", members=[csm, CHAMPION], team_id=ALPHA, is_ext_shared=True
    )
    reply = workspaces.run(
        ALPHA,
        f"account add Globex channel:<#{DESK}|alpha-globex> escalations:<#{ESCALATIONS[ALPHA]}|esc> "
        f"champion:<@{CHAMPION}|gina>",
    )
    assert "Globex" in reply, reply
    reply = workspaces.run(
        ALPHA, f'commit Globex customer <@{CHAMPION}|gina> "Upload the usage report" every day at 10:00'
    )
    assert "Upload the usage report" in reply, reply
    assert workspaces.run(ALPHA, "agreement Globex").startswith("Posted version")
    plan = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == DESK][-1]
    updates = len(emulator.calls_to("chat.update"))
    result = workspaces.app.sender(ALPHA).click(
        action_id="agreement_agree",
        value=buttons(plan.params["blocks"])["agreement_agree"],
        user_id=CHAMPION,
        channel_id=DESK,
        message_ts=emulator.messages(DESK)[-1]["ts"],
    )
    assert result.status == 200, result
    emulator.wait_for("chat.update", count=updates + 1)
    yield workspaces


def globex_installs(app: OAuthApp) -> None:
    """Globex installs the app in its own workspace, for accounts of its own."""
    page = get(f"{app.url}/slack/install")
    app.emulator.install_as(GLOBEX, GLOBEX_ADMIN)
    authorized = get(add_to_slack_href(page.body))
    assert get(authorized.headers["Location"], cookie=state_cookie(page)).status == 200


def globex_commitment(spaces: Workspaces) -> int:
    with spaces.sessions() as session:
        return session.scalars(
            select(Commitment.id).where(
                Commitment.team_id == ALPHA, Commitment.action == "Upload the usage report"
            )
        ).one()


def champion_checkin(spaces: Workspaces) -> tuple[dict[str, Any], str]:
    """The check-in DM Alpha's clock sent the champion: (its blocks' button values, its channel)."""
    (dm,) = [c for c in spaces.emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION]
    assert spaces.team_of_call(dm) == ALPHA
    return buttons(dm.params["blocks"]), spaces.emulator.dm_channel(CHAMPION)


def test_the_champions_agreement_click_from_their_own_organisation_is_recorded_in_the_vendors_install(
    connected: Workspaces,
) -> None:
    update = connected.emulator.calls_to("chat.update")[-1]
    assert connected.team_of_call(update) == ALPHA
    assert "Gina" in str(update.params) or CHAMPION in str(update.params)
    with connected.sessions() as session:
        commitment = session.get(Commitment, globex_commitment(connected))
        assert commitment is not None and commitment.agreed_at is not None


@pytest.mark.parametrize(
    "globex_installed", [False, True], ids=["globex-not-installed", "globex-installed-too"]
)
def test_the_champions_done_from_their_own_organisation_answers_the_vendors_checkin(
    connected: Workspaces, globex_installed: bool
) -> None:
    if globex_installed:
        globex_installs(connected.app)
    connected.clock_pass(TUESDAY_CHECKINS)
    values, dm = champion_checkin(connected)
    globex_before = connected.snapshot(GLOBEX)
    start = len(connected.emulator.calls)

    result = connected.app.sender(ALPHA).click(
        action_id="checkin_answer_done",
        value=values["checkin_answer_done"],
        user_id=CHAMPION,
        channel_id=dm,
        message_ts=connected.emulator.messages(dm)[-1]["ts"],
    )

    assert result.status == 200, result
    connected.app.quiet()
    with connected.sessions() as session:
        (checkin,) = session.scalars(
            select(CheckIn).where(CheckIn.commitment_id == globex_commitment(connected))
        ).all()
        assert checkin.answer == Answer.DONE and checkin.team_id == ALPHA
    calls = connected.calls_since(start)
    assert calls and all(connected.team_of_call(c) == ALPHA for c in calls), [c.method for c in calls]
    assert connected.snapshot(GLOBEX) == globex_before


def test_a_click_in_a_conversation_no_installation_owns_is_decided_by_the_payloads_team(
    connected: Workspaces,
) -> None:
    """Globex has not installed the app and the channel is nobody's: nothing is done for anyone, and
    the person is told the app is not installed for them rather than shown an error."""
    alpha_before = connected.snapshot(ALPHA)
    start = len(connected.emulator.calls)

    result = connected.app.sender(ALPHA).click(
        action_id="checkin_answer_done",
        value="1",
        user_id=CHAMPION,
        channel_id="C0NOBODYS",
        message_ts="1.000001",
    )

    connected.app.quiet()
    assert result.status == 200
    assert connected.snapshot(ALPHA) == alpha_before
    assert not [c for c in connected.calls_since(start) if c.method not in ("response_url",)]
