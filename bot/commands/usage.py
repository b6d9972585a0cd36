"""The right form of each subcommand, shown under every refusal, and how the help list is laid out."""

from __future__ import annotations

from collections.abc import Iterable

from bot.checkins.recurrence import DATE_FORMS, RECURRENCE_FORMS

USAGE_ACCOUNT_ADD = (
    "/accountability account add <Account> channel:<#shared-channel> escalations:<#vendor-channel> "
    'champion:<@customer> [csm:<@csm>] [manager:<@manager>] [digest:<#channel>] [outcome:"Desired Outcome"] '
    "[holidays:US] [reminders:0-3] [checkins:dm|channel|auto] [review:<day> <HH:MM>|off]"
)
USAGE_COMMIT = (
    '/accountability commit <Account> customer|vendor <@owner> "agreed action" every <recurrence> [at HH:MM] [after #7]'
    '\n/accountability commit <Account> customer|vendor <@owner> "agreed action" by <date> [at HH:MM] [after #7]'
)
USAGE_DEPEND = "/accountability depend <#commitment> on <#commitment>"
USAGE_UNDEPEND = "/accountability undepend <#commitment>"
USAGE_HELP = "/accountability help"
USAGE_ACCOUNT_EDIT = (
    "/accountability account edit <Account> [channel:<#…>] [escalations:<#…>] [champion:<@…>] [csm:<@…>] "
    '[manager:<@…>|none] [digest:<#…>|none] [outcome:"…"] [holidays:US|none] [reminders:0-3] '
    "[checkins:dm|channel|auto] [review:<day> <HH:MM>|off]"
)
USAGE_AGREEMENT = "/accountability agreement <Account>"
USAGE_LIST = "/accountability list [<Account>]"
USAGE_PAUSE = "/accountability pause <#commitment or Account> [until <date>]"
USAGE_RESUME = "/accountability resume <#commitment or Account>"
USAGE_DONE = '/accountability done <#commitment> ["note"]'
USAGE_CANCEL = '/accountability cancel <#commitment> ["reason"]'
USAGE_PROPOSE = (
    '/accountability propose <#commitment> by <date> [at HH:MM] "reason"'
    '\n/accountability propose <#commitment> every <recurrence> [at HH:MM] "reason"'
)
USAGE_DIARY = "/accountability diary <Account> [since <date>]"
USAGE_EXPORT = "/accountability export <Account>"
USAGE_POLICY = (
    "/accountability policy <Account> [window:4] [escalate_after:2] [raise_after:3] [unresponsive_after:3] "
    "[vendor_raise_days:2]"
)
USAGE_AUTOPSY = "/accountability autopsy <Account>"
USAGE_CLEAR_RISK = '/accountability account clear-risk <Account> "<reason>"'
USAGE_CORRECT = '/accountability correct <diary entry number> "what is right"'
USAGE_DIGEST = "/accountability digest [<Account>]"
USAGE_PERSON = (
    "/accountability person <@person> [checkins:dm|channel|auto|account] [tz:<IANA time zone>] "
    "[holidays:<country code>|none|account]"
)
USAGE_AWAY = (
    '/accountability away [<@person>] until <date> ["reason"]  ·  /accountability away [<@person>] off'
)
USAGE_HANDOVER = "/accountability handover <@from> <@to> [<Account>]"
USAGE_AWAY_WORDS = '/accountability settings away-words "<word>, :emoji:, …"|default'
USAGE_DIGEST_SETTINGS = (
    "/accountability digest channel <#channel>|none  ·  digest at <day> <HH:MM> [<time zone>]  ·  "
    "digest chart on|off  ·  digest settings"
)

# What each subcommand does, as `/accountability help` and the README say it.
HELP_HELP = "Show this list."
HELP_ACCOUNT_ADD = (
    "Create an account. You become its CSM unless csm: names someone else. checkins: says where check-ins "
    "go: auto (the default) sends a DM and falls back to the shared channel for anyone a DM can't reach; "
    "channel posts them in the shared channel, mentioning the owner; dm sends DMs only. review: sets the "
    "weekly review in the shared channel (default Friday 15:00 in the champion's time zone; off to stop it)."
)
HELP_ACCOUNT_EDIT = (
    "Change an account's channels, people, Desired Outcome, holiday calendar, where check-ins go or "
    "the weekly review."
)
HELP_COMMIT = (
    f"Record an agreed action with one owner. Recurrences: {RECURRENCE_FORMS}. Dates: {DATE_FORMS}. "
    "Check-ins go out at the given time (default 09:00) in the owner's time zone, on working days. "
    "Customer check-ins start once the champion has agreed to the plan. `after #7` makes it wait on "
    "commitment #7 of the same account (see `depend`)."
)
HELP_DEPEND = (
    "Make a commitment wait on another of the same account, possibly the other side's (CSM or admin). "
    "While the one waited on is open and overdue, the waiting one's check-ins say so, its misses count "
    "against the side holding it up, and that side's escalation lists what it is holding up. A loop "
    "(#7 waiting on #12 waiting on #7) is refused."
)
HELP_UNDEPEND = "Stop a commitment waiting on another; its misses count against its own side again."

HELP_AGREEMENT = "Post the joint plan to the shared channel and ask the champion: I agree / Let's discuss."
HELP_LIST = (
    "Show commitments, their schedules and states (awaiting agreement, paused, …), and each side's "
    "kept-rate over the last 12 weeks."
)
HELP_PAUSE = "Stop check-ins (and escalations) until resumed, or until the date."
HELP_RESUME = "Start check-ins again from now; paused time is not counted."
HELP_DONE = (
    "Mark a commitment as completed; its check-ins stop. Its owner may mark their own commitment done at "
    "any time (recorded as their answer); the CSM or an admin may mark any."
)
HELP_CANCEL = "Cancel a commitment for good; its check-ins stop."
HELP_PROPOSE = (
    "Propose a new date or schedule for a commitment instead of letting it slip (its owner, the CSM or an "
    "admin; the Propose a new date button on a check-in or in the App Home does the same). The other side "
    "accepts or declines: the CSM (and the manager after a working day) for a customer commitment, the "
    "champion for a vendor one. Accepted, the check-in it replaces counts for neither side; declined or "
    "unanswered for two working days, the original date stands. One open proposal per commitment."
)
HELP_DIARY = "Read an account's accountability diary, a page at a time (only you see it)."
HELP_EXPORT = "Get the account's diary as a CSV file in your DM with the bot."
HELP_POLICY = (
    "Without options: the account's escalation policy in plain words. With options (CSM or admin): change it."
)
HELP_AUTOPSY = (
    "Record why an account is at risk, the corrective actions and who takes part, in a form; each "
    "participant gets a Sign off button, and the autopsy is complete when all have signed off."
)
HELP_CLEAR_RISK = (
    "Clear an account's at-risk mark with the reason (CSM or admin; also the Clear risk button on the "
    "escalation post). The diary and the digest show when and why."
)
HELP_CORRECT = (
    "Add a correction to a diary entry (the numbers are shown by `diary`); the entry itself never changes."
)
HELP_PERSON = (
    "Without options: a person's time zone and where their check-ins go on each account. checkins: chooses "
    "for them, over their accounts' setting: dm (direct messages), channel (the account's shared channel, "
    "mentioning them; only they can answer), auto (a DM, and the shared channel when a DM can't reach them, "
    "trying the DM again weekly) or account (back to the account's setting). tz: sets the time zone of "
    "someone Slack has none for, such as a guest from another organisation. holidays: gives them their own "
    "public-holiday calendar (US, FR, …; none for no public holidays; account for the account's again). "
    "For the CSM of an account they are on, or an admin."
)
HELP_HANDOVER = (
    "Hand over everything someone holds — their open commitments and the champion's role — to someone else, "
    "on one account or on every account you manage (a vendor owner changing roles, someone leaving). A "
    "customer commitment or champion handed over is agreed to afresh before the customer's check-ins resume. "
    "When a champion leaves the shared channel or anyone is deactivated, the CSM is asked in a DM instead."
)
HELP_AWAY = (
    "Time off: no check-ins or reminders go to the person until the end of that date (you, or as the CSM or an "
    "admin anyone on your accounts); what falls meanwhile is recorded as skipped (away) and counts against "
    "nobody. `off` ends it early. The I'm away button in the App Home and on a check-in does the same, and a "
    "Slack status matching the away words with an expiry counts too."
)
HELP_AWAY_WORDS = (
    "Admins: the Slack status words and emoji that mean someone is away (default :palm_tree:, :airplane:, "
    "vacation, OOO, out of office, on leave; case-insensitive). Without words: show them."
)
HELP_DIGEST = (
    "Post the managers' digest now (the 7 days up to now) to the account's digest channel; without an "
    "account, every account you are the CSM of (admins: all). The clock posts it weekly by itself."
)
HELP_DIGEST_SETTINGS = (
    "Admins: the workspace's default digest channel (for accounts without their own), the weekly day, "
    "time and IANA time zone (default Monday 09:00 UTC), and whether the chart is attached."
)

# Not a subcommand of its own: the last line of the help says what two of them do without arguments.
FORMS_NOTE = (
    "/accountability account add  ·  /accountability commit",
    "Without arguments: open a form instead.",
)


def help_list(reference: Iterable[tuple[str, str]]) -> str:
    lines = ["*/accountability* — joint accountability check-ins. Commands:"]
    for usage, description in reference:
        lines.append(f"```{usage}```{description}")
    return "\n".join(lines)


def markdown_list(reference: Iterable[tuple[str, str]]) -> str:
    """The README's command reference, from the same rows as `/accountability help`."""
    parts = []
    for usage, description in reference:
        parts.append(f"```\n{usage}\n```\n{description}\n")
    return "\n".join(parts)
