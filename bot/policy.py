"""The escalation policy in plain words, shown to both sides before anything is escalated.

Consequences are agreed up front: the same text goes into the joint plan the champion agrees to.
"""

from __future__ import annotations

POLICY_LINES: tuple[str, ...] = (
    "A check-in counts as missed when it is answered *Not yet* or *Blocked*, or gets no response.",
    "Customer side: a first miss in the last four check-ins gets a friendly nudge, nothing more. "
    "A second miss (or two in a row) is raised with the vendor's CSM; a third brings in the manager.",
    "Vendor side, held to a higher standard: a vendor commitment not done by its date is raised the same "
    "day, and with the manager two working days later.",
    "Paused commitments, and check-ins skipped because the bot was down, never count against anyone.",
)


def policy_text() -> str:
    return "\n".join(f"• {line}" for line in POLICY_LINES)
