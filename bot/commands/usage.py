"""The right form of each subcommand, shown under every refusal, and how the help list is laid out."""

from __future__ import annotations

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
USAGE_HELP = "/accountability help [<subcommand>]"
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
HELP_HELP = "This list; with a subcommand's name (`help commit`), its form, what it does and an example."
HELP_ACCOUNT_ADD = (
    "Create an account. You become its CSM unless csm: names someone else. checkins: says where check-ins "
    "go: auto (the default) sends a DM and falls back to the shared channel for anyone a DM can't reach; "
    "channel posts them in the shared channel, mentioning the owner; dm sends DMs only. holidays: picks the "
    "public-holiday calendar (a country code such as US or DE) kept as days off. reminders: how many "
    "reminders an unanswered check-in gets (default 1). review: sets the "
    "weekly review in the shared channel (default Friday 15:00 in the champion's time zone; off to stop it)."
)
HELP_ACCOUNT_EDIT = (
    "Change an account's channels, people, Desired Outcome, holiday calendar, where check-ins go or "
    "the weekly review; `none` clears the manager, the digest channel or the holiday calendar. reminders: "
    "is how many reminders an unanswered check-in gets (0 to 3). checkins: is where check-ins go, as for "
    "`account add` (dm: direct messages only; channel: the shared channel; auto: a DM, else the channel)."
)
HELP_COMMIT = (
    f"Record an agreed action with one owner. Recurrences: {RECURRENCE_FORMS}. Dates: {DATE_FORMS} "
    "(next friday is the first Friday after today). A date on the owner's weekend or public holiday moves "
    "to their working day before it, and is judged at the end of the working day after it. "
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
    "kept-rate over the last 12 weeks: the share of its check-ins answered Done (Partly counts half), out "
    "of those answered or left unanswered; skipped ones and those held up by the other side don't count."
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
    "Without options: the account's escalation policy in plain words. With options (CSM or admin): change it. "
    "A miss is a check-in answered Not yet or Blocked, or left unanswered. window: how many of a commitment's "
    "latest check-ins are looked at; escalate_after: customer misses in that window that open an escalation "
    "in the vendor's channel (two in a row always do); raise_after: misses that bring in the manager and mark "
    "the account at risk; unresponsive_after: check-ins in a row the champion leaves unanswered before that "
    "is escalated; vendor_raise_days: working days after a vendor commitment is escalated for a missed date "
    "before the manager is brought in."
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

# A filled-in example of each subcommand, for `help <subcommand>` (and the top of `help` for `commit`).
EXAMPLE_HELP = "/accountability help commit"
EXAMPLE_ACCOUNT_ADD = (
    "/accountability account add Acme channel:#acme-shared escalations:#acme-escalations champion:@dana "
    "manager:@lee holidays:US"
)
EXAMPLE_ACCOUNT_EDIT = "/accountability account edit Acme checkins:channel reminders:2"
EXAMPLE_CLEAR_RISK = '/accountability account clear-risk Acme "New sponsor named; weekly calls agreed"'
EXAMPLE_COMMIT = '/accountability commit Acme customer @dana "Send the usage export" every monday at 10:00'
EXAMPLE_DEPEND = "/accountability depend #12 on #7"
EXAMPLE_UNDEPEND = "/accountability undepend #12"
EXAMPLE_AGREEMENT = "/accountability agreement Acme"
EXAMPLE_LIST = "/accountability list Acme"
EXAMPLE_PAUSE = "/accountability pause #12 until dec 15"
EXAMPLE_RESUME = "/accountability resume #12"
EXAMPLE_DONE = '/accountability done #12 "Shipped in release 4.12"'
EXAMPLE_CANCEL = '/accountability cancel #12 "No longer needed after the migration"'
EXAMPLE_PROPOSE = '/accountability propose #12 by next friday "The test data arrives on Wednesday"'
EXAMPLE_DIARY = "/accountability diary Acme since dec 1"
EXAMPLE_EXPORT = "/accountability export Acme"
EXAMPLE_POLICY = "/accountability policy Acme escalate_after:3 vendor_raise_days:1"
EXAMPLE_AUTOPSY = "/accountability autopsy Acme"
EXAMPLE_CORRECT = '/accountability correct 42 "The export was sent on Tuesday, not Wednesday"'
EXAMPLE_DIGEST = "/accountability digest Acme"
EXAMPLE_PERSON = "/accountability person @dana checkins:channel tz:Europe/Paris"
EXAMPLE_AWAY = '/accountability away @dana until dec 18 "Annual leave"'
EXAMPLE_HANDOVER = "/accountability handover @sam @lee Acme"
EXAMPLE_AWAY_WORDS = '/accountability settings away-words ":palm_tree:, vacation, OOO"'
EXAMPLE_DIGEST_SETTINGS = "/accountability digest at monday 09:00 Europe/London"

# The line under the help's example: which subcommands open a form when typed without arguments.
FORMS_NOTE = "Without arguments, {names} open a form instead."


def help_entry(usage: str, description: str) -> str:
    """One subcommand's lines in the help: its form in a code block, then what it does."""
    return f"```{usage}```{description}"


def markdown_entry(usage: str, description: str) -> str:
    """One subcommand's lines in the README's command reference."""
    return f"```\n{usage}\n```\n{description}\n"
