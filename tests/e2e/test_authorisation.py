"""Who may do what, cell by cell: every subcommand, button, form and event against nine kinds of people.

Each operation is sent over signed HTTP the way Slack sends it — a customer of another organisation
with their *own* team ID, as Slack Connect does — and judged by what the app did: the answer it gave,
the modal it opened, the message it updated, and whether the database changed. A refused cell must
change nothing at all (every table is compared, row by row, before and after).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

import models
from app import WebApp, create_web_app, serve_in_thread
from bot.accounts.agreements import post_agreement
from bot.accounts.installation import Installation
from bot.accounts.registry import AccountAdd, create_account
from bot.clock_pass import run_due_work
from bot.diary import entries as diary
from bot.diary.pages import PAGE_ACTION
from bot.diary.sharing import share_pending
from bot.escalation.message import ACK, AUTOPSY, CLEAR_RISK, RESOLVE
from bot.escalation.posting import publish
from bot.escalation.signoff import SIGN_OFF, request_sign_offs
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, SlackProfile
from handlers.deps import Deps
from models import (
    Account,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    DiaryEntry,
    Escalation,
    Side,
)
from slack_emulator import Call, SlackEmulator
from slack_emulator.outbound import HttpResult, SlackSender
from tests.conftest import (
    ADMIN,
    CHAMPION,
    CSM,
    CUSTOMER_TEAM,
    ENGINEER,
    OTHER_CHAMPION,
    OUTSIDER_VENDOR,
    SHARED_CHANNEL,
    SIGNING_SECRET,
    VENDOR_TEAM,
    Clock,
    RunningApp,
)
from tests.e2e.test_escalation_end_to_end import autopsy_values
from tests.e2e.test_forms_end_to_end import account_values, commit_values
from tests.factories import csm_actor, make_commitment, open_escalation
from tests.faults import FaultResult, record

OTHER_CSM = "U0CSM2"
MANAGER = "U0MGR"
CUSTOMER_COLLEAGUE = "U0CUST2"
STRANGER = "U0STRANGER"

ROLES: dict[str, str] = {
    "admin": ADMIN,
    "csm": CSM,
    "other csm": OTHER_CSM,
    "manager": MANAGER,
    "champion": CHAMPION,
    "customer colleague": CUSTOMER_COLLEAGUE,
    "other account's customer": OTHER_CHAMPION,
    "vendor member, no role": OUTSIDER_VENDOR,
    "other workspace": STRANGER,
}
VENDOR_PEOPLE = {"admin", "csm", "other csm", "manager", "vendor member, no role"}
MANAGERS = {"admin", "csm"}
READERS = {"admin", "csm", "manager", "champion"}
LISTERS = {"admin", "csm", "manager"}
HANDLERS = {"admin", "csm", "manager"}
CHAMPION_ONLY = {"champion"}
EVERYONE = set(ROLES)

CREATED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday
MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the champion's check-in (10:00 London)

# Rows that record traffic rather than anything a person did or may do.
REQUEST_LOGS = {"processed_events"}


@dataclass
class Scene:
    """What the seeded world holds, by ID, for the operations to point at."""

    acme_id: int = 0
    vendor_commitment: int = 0
    paused_commitment: int = 0
    checkin_id: int = 0
    checkin_ts: str = ""
    agreement_id: int = 0
    plan_ts: str = ""
    escalation_id: int = 0
    escalation_ts: str = ""
    entry_id: int = 0
    customer_commitment: int = 0
    channel_checkin_ts: str = ""
    diary_thread_ts: str = ""
    autopsy_id: int = 0
    sign_off_ts: str = ""


@dataclass
class World:
    web: RunningApp
    emulator: SlackEmulator
    sessions: sessionmaker[Session]
    gateway: SlackGateway
    scene: Scene = field(default_factory=Scene)


@dataclass(frozen=True)
class Reaction:
    """The app's last word on one request: the HTTP answer and the Web API calls it made for it."""

    http: HttpResult
    calls: list[Call]

    def said(self) -> str:
        """Everything the person was told, ack body and later messages alike, as one text."""
        parts = [self.http.body]
        for call in self.calls:
            parts.append(json.dumps(call.params, default=str, ensure_ascii=False))
        return "\n".join(parts)

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]


@dataclass(frozen=True)
class Operation:
    name: str
    allowed: set[str]
    send: Callable[[World, str], HttpResult]
    # The Web API calls that end the app's handling of the request (besides a non-empty ack body).
    ends_with: tuple[str, ...]
    # Allowed when the database changed (writes), or when the reaction shows this (reads).
    writes: bool = True
    shows: Callable[[Reaction], bool] | None = None


# -- the world --------------------------------------------------------------------------------


@pytest.fixture
def world(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    engine: Engine,
    clock: Clock,
) -> Iterator[World]:
    for user_id, team_id, tz, stranger in (
        (OTHER_CSM, VENDOR_TEAM, "America/Chicago", False),
        (MANAGER, VENDOR_TEAM, "America/New_York", False),
        (CUSTOMER_COLLEAGUE, CUSTOMER_TEAM, "Europe/London", False),
        (STRANGER, "T0ELSEWHERE", "Australia/Sydney", True),
    ):
        emulator.add_user(user_id, team_id=team_id, name=user_id.lower(), tz=tz, is_stranger=stranger)
    # Shared channels are Slack Connect channels (everyone known is in them); the vendor's own
    # channels name their members, so no guest or customer is in them.
    vendor_people = [CSM, ADMIN, ENGINEER, OUTSIDER_VENDOR, OTHER_CSM, MANAGER]
    for channel_id, name, shared in (
        ("C0DIGEST", "cs-managers", False),
        ("C0GLOBEX", "globex-shared", True),
        ("C0GLOBESC", "globex-escalations", False),
        ("C0NEWSH", "newco-shared", True),
        ("C0NEWESC", "newco-escalations", False),
    ):
        emulator.add_channel(
            channel_id, name=name, is_ext_shared=shared, members=None if shared else vendor_people
        )
    clock.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    world = World(web=web, emulator=emulator, sessions=sessions, gateway=gateway)
    seed(world)
    yield world


def wipe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for table in reversed(models.Base.metadata.sorted_tables):
            session.execute(delete(table))


def seed(world: World) -> None:
    """Two accounts, an open check-in, a plan awaiting agreement and an open escalation."""
    wipe(world.sessions)
    world.emulator.reset()
    sessions, gateway = world.sessions, world.gateway
    with sessions.begin() as session:
        acme = create_account(
            session,
            AccountAdd(
                name="Acme",
                shared_channel_id=SHARED_CHANNEL,
                escalation_channel_id="C0ESCAL",
                champion_user_id=CHAMPION,
                manager_user_id=MANAGER,
                digest_channel_id="C0DIGEST",
                desired_outcome="Every team live by March",
            ),
            actor=csm_actor(CSM),
            now=CREATED,
        )
        create_account(
            session,
            AccountAdd(
                name="Globex",
                shared_channel_id="C0GLOBEX",
                escalation_channel_id="C0GLOBESC",
                champion_user_id=OTHER_CHAMPION,
                digest_channel_id="C0DIGEST",
            ),
            actor=csm_actor(OTHER_CSM),
            now=CREATED,
        )
        acme_id = acme.id
    customer = make_commitment(sessions, account_id=acme_id, now=CREATED, at=clock_time(10, 0))
    vendor = make_commitment(
        sessions, account_id=acme_id, now=CREATED, owner=ENGINEER, tz="Asia/Tokyo", side=Side.VENDOR
    )
    paused = make_commitment(
        sessions, account_id=acme_id, now=CREATED, owner=ENGINEER, tz="Asia/Tokyo", side=Side.VENDOR
    )
    with sessions.begin() as session:
        session.get_one(Commitment, paused).status = CommitmentStatus.PAUSED
        session.get_one(Account, acme_id).at_risk = True  # for clearing, by command or button
        for user_id in (CHAMPION, ENGINEER):
            # Customers are judged from Slack's profile, as the commands would have learnt it.
            person = session.scalar(select(models.Person).where(models.Person.user_id == user_id))
            assert person is not None
            person.is_external = user_id == CHAMPION
            person.side = Side.CUSTOMER if user_id == CHAMPION else Side.VENDOR
    run_due_work(sessions, gateway, now=MON_10)
    post_agreement(
        sessions, gateway, team_id=VENDOR_TEAM, account_name="Acme", actor=csm_actor(CSM), now=MON_10
    )
    escalation_id = open_escalation(sessions, account_id=acme_id, opened_at=MON_10, commitment_id=customer)
    publish(sessions, gateway, escalation_id, now=MON_10)
    # An autopsy the manager is named on, their Sign off request in their DM.
    with sessions.begin() as session:
        autopsy = models.Autopsy(
            team_id=VENDOR_TEAM, account_id=acme_id, causes="[]", created_by=CSM, created_at=MON_10
        )
        session.add(autopsy)
        session.flush()
        session.add(models.AutopsyParticipant(team_id=VENDOR_TEAM, autopsy_id=autopsy.id, user_id=MANAGER))
        autopsy_id = autopsy.id
    assert request_sign_offs(sessions, gateway, autopsy_id) == []
    # Last week's check-in of the same commitment, posted in the shared channel and still open, and
    # the week's diary thread there: the threads people reply in.
    post = gateway.post_message(SHARED_CHANNEL, text=f"Check-in for <@{CHAMPION}>")
    with sessions.begin() as session:
        session.add(
            CheckIn(
                team_id=VENDOR_TEAM, commitment_id=customer, scheduled_at=MON_10 - timedelta(days=7),
                state=CheckInState.SENT, sent_at=MON_10 - timedelta(days=7), place="channel",
                channel_id=SHARED_CHANNEL, message_ts=post.ts,
            )
        )  # fmt: skip
    share_pending(sessions, gateway, now=MON_10)
    scene = world.scene
    with sessions() as session:
        checkin = session.scalars(
            select(CheckIn).where(CheckIn.commitment_id == customer, CheckIn.message_ts != post.ts)
        ).one()
        assert checkin.state is CheckInState.SENT and checkin.message_ts
        agreement = session.scalars(select(models.Agreement)).one()
        assert agreement.message_ts
        episode = session.get_one(Escalation, escalation_id)
        assert episode.message_ts
        scene.acme_id = acme_id
        scene.vendor_commitment, scene.paused_commitment = vendor, paused
        scene.checkin_id, scene.checkin_ts = checkin.id, checkin.message_ts
        scene.agreement_id, scene.plan_ts = agreement.id, agreement.message_ts
        scene.escalation_id, scene.escalation_ts = escalation_id, episode.message_ts
        scene.customer_commitment, scene.channel_checkin_ts = customer, post.ts
        scene.autopsy_id = autopsy_id
        scene.sign_off_ts = session.scalars(select(models.AutopsyParticipant.message_ts)).one() or ""
        scene.diary_thread_ts = (
            session.scalars(
                select(models.DiaryThread.message_ts).order_by(models.DiaryThread.week_start.desc())
            ).first()
            or ""
        )
        scene.entry_id = (
            session.scalars(
                select(DiaryEntry.id).where(DiaryEntry.account_id == acme_id).order_by(DiaryEntry.id)
            ).first()
            or 0
        )
    world.emulator.reset()


def snapshot(engine_or_sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, so "nothing was written" is checked, not assumed."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine_or_sessions() as session:
        for table in models.Base.metadata.sorted_tables:
            if table.name in REQUEST_LOGS:
                continue
            rows = session.execute(select(table)).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


# -- how each request is sent -----------------------------------------------------------------


def command(text_of: Callable[[Scene], str]) -> Callable[[World, str], HttpResult]:
    return lambda world, user: world.web.slack.command(text_of(world.scene), user_id=user)


def checkin_click(action_id: str) -> Callable[[World, str], HttpResult]:
    def send(world: World, user: str) -> HttpResult:
        return world.web.slack.click(
            action_id=action_id,
            value=str(world.scene.checkin_id),
            user_id=user,
            channel_id=world.emulator.dm_channel(CHAMPION),
            message_ts=world.scene.checkin_ts,
        )

    return send


def plan_click(action_id: str) -> Callable[[World, str], HttpResult]:
    def send(world: World, user: str) -> HttpResult:
        return world.web.slack.click(
            action_id=action_id,
            value=str(world.scene.agreement_id),
            user_id=user,
            channel_id=SHARED_CHANNEL,
            message_ts=world.scene.plan_ts,
        )

    return send


def escalation_click(action_id: str) -> Callable[[World, str], HttpResult]:
    def send(world: World, user: str) -> HttpResult:
        return world.web.slack.click(
            action_id=action_id,
            value=str(world.scene.escalation_id),
            user_id=user,
            channel_id="C0ESCAL",
            message_ts=world.scene.escalation_ts,
        )

    return send


def sign_off_click(world: World, user: str) -> HttpResult:
    """The Sign off button of the manager's request, clicked by whoever the cell is about."""
    return world.web.slack.click(
        action_id=SIGN_OFF,
        value=str(world.scene.autopsy_id),
        user_id=user,
        channel_id=world.emulator.dm_channel(MANAGER),
        message_ts=world.scene.sign_off_ts,
    )


def page_turn(world: World, user: str) -> HttpResult:
    value = json.dumps({"account_id": world.scene.acme_id, "since": None, "page": 1})
    return world.web.slack.click(
        action_id=f"{PAGE_ACTION}_next", value=value, user_id=user, channel_id="C0CSMDESK", message_ts=None
    )


def form(
    callback_id: str, values: Callable[[Scene], dict[str, Any]], metadata: Callable[[Scene], str]
) -> Callable[[World, str], HttpResult]:
    def send(world: World, user: str) -> HttpResult:
        return world.web.slack.submit_view(
            callback_id=callback_id,
            values=values(world.scene),
            user_id=user,
            private_metadata=metadata(world.scene),
        )

    return send


def typed_note(world: World, user: str) -> HttpResult:
    channel = world.emulator.dm_channel(user)
    return world.web.slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": user,
            "text": "Rolled out to the sales team",
            "ts": "1800000000.000100",
            "event_ts": "1800000000.000100",
        }
    )


def thread_reply(thread: Callable[[Scene], str]) -> Callable[[World, str], HttpResult]:
    """A reply in a thread of the shared channel, from the person's own team as Slack Connect sends it."""
    return lambda world, user: world.web.slack.channel_message(
        "Rolled out to the sales team", user_id=user, channel=SHARED_CHANNEL, thread_ts=thread(world.scene)
    )


def mention_done(world: World, user: str) -> HttpResult:
    return world.web.slack.mention(
        f"<@UBOT> done #{world.scene.customer_commitment}", user_id=user, channel=SHARED_CHANNEL
    )


def home_opened(world: World, user: str) -> HttpResult:
    return world.web.slack.event(
        {"type": "app_home_opened", "user": user, "channel": world.emulator.dm_channel(user), "tab": "home"}
    )


def home_mark_done(world: World, user: str) -> HttpResult:
    return world.web.slack.click(
        action_id="commitment_mark_done",
        value=str(world.scene.customer_commitment),
        user_id=user,
        channel_id=None,
        message_ts=None,
        container_type="view",
    )


def said(pattern: str) -> Callable[[Reaction], bool]:
    compiled = re.compile(pattern)
    return lambda reaction: bool(compiled.search(reaction.said()))


def opened(callback_id: str) -> Callable[[Reaction], bool]:
    return lambda reaction: any(
        call.params["view"].get("callback_id") == callback_id for call in reaction.called("views.open")
    )


def home_shows_acme(reaction: Reaction) -> bool:
    return any("Acme" in json.dumps(call.params["view"]) for call in reaction.called("views.publish"))


NO_META: Callable[[Scene], str] = lambda scene: ""  # noqa: E731
COMMAND_END = ("response_url", "views.open")

OPERATIONS = [
    Operation("help", EVERYONE, command(lambda s: "help"), COMMAND_END, writes=False, shows=said("/accountability commit")),
    Operation(
        "account add",
        VENDOR_PEOPLE,
        command(lambda s: "account add NewCo channel:<#C0NEWSH|newco> escalations:<#C0NEWESC|esc> champion:<@U0CHAMP|jo>"),
        COMMAND_END,
    ),
    Operation("account add (form)", VENDOR_PEOPLE, command(lambda s: "account add"), COMMAND_END, writes=False, shows=opened("account_add_form")),
    Operation("account edit", MANAGERS, command(lambda s: 'account edit Acme outcome:"All teams live by April"'), COMMAND_END),
    Operation("account clear-risk", MANAGERS, command(lambda s: 'account clear-risk Acme "Sponsor back"'), COMMAND_END),
    Operation("commit", MANAGERS, command(lambda s: 'commit Acme vendor <@U0ENG> "Publish the runbook" by dec 18'), COMMAND_END),
    Operation("commit (form)", VENDOR_PEOPLE, command(lambda s: "commit"), COMMAND_END, writes=False, shows=opened("commit_form")),
    Operation("agreement", MANAGERS, command(lambda s: "agreement Acme"), COMMAND_END),
    Operation("list", VENDOR_PEOPLE, command(lambda s: "list"), COMMAND_END, writes=False,
              shows=said(r"\*(Acme|Globex)\* — champion|not the CSM or manager of any account")),
    Operation("list <Account>", LISTERS, command(lambda s: "list Acme"), COMMAND_END, writes=False, shows=said(r"\*Acme\* — champion")),
    Operation("pause", MANAGERS, command(lambda s: f"pause #{s.vendor_commitment}"), COMMAND_END),
    Operation("resume", MANAGERS, command(lambda s: f"resume #{s.paused_commitment}"), COMMAND_END),
    Operation("done", MANAGERS, command(lambda s: f'done #{s.vendor_commitment} "Shipped"'), COMMAND_END),
    # Its owner may mark their own commitment done; a customer colleague may not.
    Operation("done (own commitment)", {"admin", "csm", "champion"}, command(lambda s: f"done #{s.customer_commitment}"), COMMAND_END),
    Operation("cancel", MANAGERS, command(lambda s: f'cancel #{s.vendor_commitment} "No longer needed"'), COMMAND_END),
    Operation("diary", READERS, command(lambda s: "diary Acme"), COMMAND_END, writes=False, shows=said("Accountability diary — Acme")),
    Operation("export", READERS, command(lambda s: "export Acme"), COMMAND_END, writes=False, shows=said(r"Exported \d+ diary entries of Acme")),
    Operation("policy", READERS, command(lambda s: "policy Acme"), COMMAND_END, writes=False, shows=said("Escalation policy for Acme")),
    Operation("policy change", MANAGERS, command(lambda s: "policy Acme window:5"), COMMAND_END),
    Operation("correct", MANAGERS, command(lambda s: f'correct #{s.entry_id} "The outcome is April, not March"'), COMMAND_END),
    Operation("autopsy", MANAGERS, command(lambda s: "autopsy Acme"), COMMAND_END, writes=False, shows=opened("autopsy_form")),
    Operation("digest <Account>", MANAGERS, command(lambda s: "digest Acme"), COMMAND_END),
    Operation("digest", {"admin", "csm", "other csm"}, command(lambda s: "digest"), COMMAND_END),
    Operation("digest settings", VENDOR_PEOPLE, command(lambda s: "digest settings"), COMMAND_END, writes=False, shows=said(r"\*Digest settings\*")),
    Operation("digest chart off", {"admin"}, command(lambda s: "digest chart off"), COMMAND_END),
    Operation("check-in Done", CHAMPION_ONLY, checkin_click("checkin_answer_done"), ("chat.update", "chat.postEphemeral")),
    Operation("check-in Snooze", CHAMPION_ONLY, checkin_click("checkin_answer_snoozed"), ("chat.update", "chat.postEphemeral")),
    Operation("check-in Blocked (opens the note)", CHAMPION_ONLY, checkin_click("checkin_answer_blocked"), ("views.open", "chat.postEphemeral"),
              writes=False, shows=opened("checkin_note_form")),
    Operation("plan I agree", CHAMPION_ONLY, plan_click("agreement_agree"), ("chat.update", "chat.postEphemeral")),
    Operation("plan Let's discuss", CHAMPION_ONLY, plan_click("agreement_discuss"), ("chat.update", "chat.postEphemeral")),
    Operation("diary page", READERS, page_turn, ("response_url",), writes=False, shows=said("Accountability diary — Acme")),
    Operation("escalation Acknowledge", HANDLERS, escalation_click(ACK), ("chat.update", "chat.postEphemeral")),
    Operation("escalation Resolve (opens the form)", HANDLERS, escalation_click(RESOLVE), ("views.open", "chat.postEphemeral"),
              writes=False, shows=opened("escalation_resolve_form")),
    Operation("escalation Start autopsy (opens the form)", HANDLERS, escalation_click(AUTOPSY), ("views.open", "chat.postEphemeral"),
              writes=False, shows=opened("autopsy_form")),
    Operation("escalation Clear risk (opens the form)", MANAGERS, escalation_click(CLEAR_RISK), ("views.open", "chat.postEphemeral"),
              writes=False, shows=opened("escalation_clear_risk_form")),
    Operation(
        "clear-risk form",
        MANAGERS,
        form(
            "escalation_clear_risk_form",
            lambda s: {"reason": {"type": "plain_text_input", "value": "Sponsor back, rollout restarted"}},
            lambda s: json.dumps({"escalation_id": s.escalation_id}),
        ),
        ("chat.update", "chat.postMessage"),
    ),
    Operation("autopsy Sign off", {"manager"}, sign_off_click, ("chat.update", "chat.postEphemeral")),
    Operation("account form", VENDOR_PEOPLE, form("account_add_form", lambda s: account_values(), NO_META), ("chat.postMessage",)),
    Operation("commitment form", MANAGERS, form("commit_form", lambda s: commit_values("every friday"), NO_META), ("chat.postMessage",)),
    Operation(
        "check-in note form",
        CHAMPION_ONLY,
        form(
            "checkin_note_form",
            lambda s: {"note": {"type": "plain_text_input", "value": "Waiting on IT for SSO"}},
            lambda s: json.dumps({"checkin_id": s.checkin_id, "answer": "blocked"}),
        ),
        ("chat.update",),
    ),
    Operation(
        "resolve form",
        HANDLERS,
        form(
            "escalation_resolve_form",
            lambda s: {"note": {"type": "plain_text_input", "value": "Agreed a new rollout date"}},
            lambda s: json.dumps({"escalation_id": s.escalation_id}),
        ),
        ("chat.update", "chat.postMessage"),
    ),
    Operation(
        "autopsy form",
        MANAGERS,
        form(
            "autopsy_form",
            lambda s: autopsy_values(),
            lambda s: json.dumps({"account_id": s.acme_id, "escalation_id": s.escalation_id}),
        ),
        ("chat.postMessage",),
    ),
    Operation("typed note in the DM", CHAMPION_ONLY, typed_note, ("chat.postMessage",)),
    Operation("reply in a channel check-in's thread", CHAMPION_ONLY, thread_reply(lambda s: s.channel_checkin_ts), ("chat.postEphemeral",)),
    Operation("reply in the week's diary thread", READERS, thread_reply(lambda s: s.diary_thread_ts), ("chat.postEphemeral",)),
    Operation("@bot done #N in the shared channel", CHAMPION_ONLY, mention_done, ("chat.update", "chat.postEphemeral")),
    Operation("App Home", {"csm", "manager", "champion"}, home_opened, ("views.publish",), writes=False, shows=home_shows_acme),
    Operation("App Home Mark done", CHAMPION_ONLY, home_mark_done, ("views.publish", "chat.postMessage")),
]  # fmt: skip


# -- judging one cell -------------------------------------------------------------------------


def react(world: World, operation: Operation, user: str) -> Reaction:
    """Send the request and wait for the app's last word on it: a non-empty ack, or one of the calls
    that end this kind of request (listeners run after the ack, so this polls briefly)."""
    before = len(world.emulator.calls)
    result = operation.send(world, user)
    assert result.status == 200, f"{operation.name} as {user}: HTTP {result.status} {result.body}"
    deadline = time.monotonic() + 10
    while not result.body.strip() and not _ended(world, operation, before):
        if time.monotonic() > deadline:
            calls = [c.method for c in world.emulator.calls[before:]]
            raise AssertionError(f"{operation.name} as {user}: none of {operation.ends_with}; calls {calls}")
        time.sleep(0.02)  # waiting for the listener after the ack, not controlling time
    return Reaction(result, world.emulator.calls[before:])


def quiet(world: World) -> bool:
    app = world.web.server.get_app()
    assert isinstance(app, WebApp)
    return app.listeners.wait_quiet()


def _ended(world: World, operation: Operation, before: int) -> bool:
    return any(call.method in operation.ends_with for call in world.emulator.calls[before:])


@pytest.mark.reliability
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_each_person_may_do_exactly_what_their_role_allows(world: World, operation: Operation) -> None:
    observed: dict[str, bool] = {}
    leaks: dict[str, list[str]] = {}
    refused_first = sorted(ROLES, key=lambda role: role in operation.allowed)
    dirty = False
    for role in refused_first:
        if dirty:
            seed(world)
            dirty = False
        before = snapshot(world.sessions)
        reaction = react(world, operation, ROLES[role])
        # The listener may still be writing after its last Slack call: judge (and reseed) once it is done.
        assert quiet(world), f"{operation.name} as {role}: the app was still busy after 10 s"
        after = snapshot(world.sessions)
        changed = [name for name in before if before[name] != after[name]]
        if operation.writes:
            observed[role] = bool(changed)
        else:
            assert operation.shows is not None
            observed[role] = operation.shows(reaction)
        if role not in operation.allowed and changed:
            leaks[role] = changed
        dirty = bool(changed)
    expected = {role: role in operation.allowed for role in ROLES}
    assert observed == expected, (
        f"{operation.name}: allowed where refused: {[r for r in ROLES if observed[r] and not expected[r]]}; "
        f"refused where allowed: {[r for r in ROLES if expected[r] and not observed[r]]}"
    )
    assert leaks == {}, f"{operation.name}: refused people still changed these tables: {leaks}"
    refused = [role for role in ROLES if role not in operation.allowed]
    if not refused:
        return
    record(
        FaultResult(
            fault=f"`{operation.name}` by someone whose role does not allow it",
            tried=len(refused),
            outcome={
                "refused, nothing written": len([r for r in refused if not observed[r] and r not in leaks]),
                "let through": len([r for r in refused if observed[r]]),
                "wrote something": len(leaks),
            },
            notes=f"allowed for: {', '.join(sorted(operation.allowed))}",
        ),
        area="Authorisation",
    )


# -- the attack the table is built against, and the edges of "who is the vendor" ----------------


def answer(world: World, text: str, *, user_id: str) -> str:
    before = len(world.emulator.calls_to("response_url"))
    result = world.web.slack.command(text, user_id=user_id)
    assert result.status == 200
    if result.body:
        return str(result.json()["text"])
    return str(world.emulator.wait_for("response_url", count=before + 1)[before].params["text"])


def test_a_customer_cannot_create_an_account_and_make_the_vendors_bot_task_its_engineers(
    world: World,
) -> None:
    """The champion sends commands from their own organisation (their team ID in the payload)."""
    before = snapshot(world.sessions)
    created = answer(
        world,
        "account add EvilCo channel:<#C0NEWSH|x> escalations:<#C0NEWESC|y> champion:<@U0CHAMP|me> csm:<@U0CHAMP|me>",
        user_id=CHAMPION,
    )
    committed = answer(
        world, 'commit EvilCo customer <@U0ENG> "Wire 10k to account 123" every day', user_id=CHAMPION
    )
    assert "managing accounts is for the vendor's team" in created
    assert "managing accounts is for the vendor's team" in committed
    assert snapshot(world.sessions) == before
    assert world.emulator.calls_to("chat.postMessage") == []


def test_the_champion_reads_their_own_diary_export_and_policy_without_private_notes(world: World) -> None:
    with world.sessions.begin() as session:
        acme = session.get_one(Account, world.scene.acme_id)
        diary.record(
            session, account=acme, kind="note", text="Internal: renewal at risk", at=MON_10, private=True
        )
    page = answer(world, "diary Acme", user_id=CHAMPION)
    assert "Accountability diary — Acme" in page and "Internal: renewal at risk" not in page
    assert "Internal: renewal at risk" in answer(world, "diary Acme", user_id=CSM)
    assert "Exported" in answer(world, "export Acme", user_id=CHAMPION)
    [upload] = world.emulator.uploaded_files()
    assert "Internal: renewal at risk" not in json.dumps(upload, default=str)
    assert "Escalation policy for Acme" in answer(world, "policy Acme", user_id=CHAMPION)


def test_an_outsider_hears_no_such_account_rather_than_who_runs_it(world: World) -> None:
    reply = answer(world, "diary Acme", user_id=OTHER_CHAMPION)
    assert "There is no account called “Acme” that you are part of." in reply
    assert "<@U0CSM>" not in reply
    assert answer(world, "diary Nosuch", user_id=OTHER_CHAMPION) == (
        "There is no account called “Nosuch” that you are part of."
    )


def test_a_csm_or_manager_must_be_one_of_the_vendors_own_people(world: World) -> None:
    before = snapshot(world.sessions)
    for text in (
        "account add NewCo channel:<#C0NEWSH|x> escalations:<#C0NEWESC|y> champion:<@U0CHAMP|jo> csm:<@U0CHAMP|jo>",
        "account edit Acme manager:<@U0OTHER|ann>",
    ):
        reply = answer(world, text, user_id=CSM)
        assert "not one of the vendor's own people" in reply, reply
    assert snapshot(world.sessions) == before


def test_a_guest_of_the_vendors_workspace_is_treated_as_a_customer(world: World) -> None:
    world.emulator.add_user(
        "U0GUEST", team_id=VENDOR_TEAM, name="guest", tz="Europe/Paris", is_restricted=True
    )
    before = snapshot(world.sessions)
    for text in (
        "list",
        "account add NewCo channel:<#C0NEWSH|x> escalations:<#C0NEWESC|y> champion:<@U0CHAMP|jo>",
    ):
        assert "managing accounts is for the vendor's team" in answer(world, text, user_id="U0GUEST")
    assert snapshot(world.sessions) == before


def test_a_member_of_the_vendors_grid_organisation_in_another_workspace_is_the_vendor(
    world: World, emulator: SlackEmulator, settings: Settings, engine: Engine, clock: Clock
) -> None:
    """On an org-wide install, the payload and the profile name the member's own workspace; their
    organisation is what makes them the vendor's. Someone of another organisation still is not."""
    emulator.add_user("U0GRID", team_id="T0VENDOR2", name="grid", tz="Europe/Paris", enterprise_id="E0VENDOR")
    emulator.set_enterprise("E0VENDOR")
    server = None
    try:
        deps = Deps(sessions=world.sessions, admins=settings.admins, clock=clock)
        server = serve_in_thread(create_web_app(settings, engine=engine, deps=deps))
        sender = SlackSender(
            app_url=f"http://127.0.0.1:{server.server_address[1]}",
            signing_secret=SIGNING_SECRET,
            team_id=VENDOR_TEAM,
            response_url=emulator.new_response_url,
            user_team=emulator.team_of,
            trigger_id=emulator.new_trigger_id,
        )
        for count, (user_id, expected) in enumerate(
            (("U0GRID", "Digest settings"), (CHAMPION, "for the vendor's team")), start=1
        ):
            assert sender.command("digest settings", user_id=user_id).status == 200
            reply = emulator.wait_for("response_url", count=count)[count - 1]
            assert expected in reply.params["text"], (user_id, reply.params["text"])
    finally:
        emulator.set_enterprise(None)
        if server is not None:
            server.shutdown()
            server.server_close()


def test_who_is_the_vendor_is_decided_by_the_installation_and_slacks_profile() -> None:
    def profile(team: str | None, *, enterprise: str | None = None, **flags: bool) -> SlackProfile:
        return SlackProfile(
            user_id="U1",
            team_id=team,
            name="someone",
            tz=None,
            is_bot=False,
            is_stranger=flags.get("stranger", False),
            deleted=False,
            is_restricted=flags.get("guest", False),
            enterprise_id=enterprise,
        )

    workspace = Installation(team_id="T0VENDOR")
    grid = Installation(team_id="T0VENDOR", enterprise_id="E0VENDOR")
    assert workspace.employs(profile("T0VENDOR"))
    assert not workspace.employs(profile("T0CUSTOMER"))
    assert not workspace.employs(profile("T0VENDOR", guest=True))
    assert not workspace.employs(profile("T0VENDOR", stranger=True))
    assert not workspace.employs(profile(None))
    assert not workspace.employs(profile("T0VENDOR2", enterprise="E0VENDOR"))
    assert grid.employs(profile("T0VENDOR2", enterprise="E0VENDOR"))
    assert not grid.employs(profile("T0CUSTOMER", enterprise="E0CUSTOMER"))
