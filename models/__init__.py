"""The data layer: typed SQLAlchemy 2.0 models, engine setup and Alembic migrations."""

from models.account import Account, Person
from models.base import Answer, Base, CheckInState, CommitmentStatus, EscalationState, Side
from models.commitment import CheckIn, Commitment
from models.diary import DiaryEntry, DiaryShare, DiaryThread, DiaryToShare
from models.digest import Digest, WorkspaceSettings
from models.escalation import Agreement, Autopsy, AutopsyParticipant, Escalation
from models.handover import Handover
from models.installations import WorkspaceInstall
from models.operations import ClockHeartbeat, ClockPass, ProcessedEvent, WorkspacePace
from models.proposal import Proposal
from models.review import ReviewAnswer, WeeklyReview
from models.tenancy import Tenant, acting_for

__all__ = [
    "Account",
    "Agreement",
    "Answer",
    "Autopsy",
    "AutopsyParticipant",
    "Base",
    "CheckIn",
    "CheckInState",
    "ClockHeartbeat",
    "ClockPass",
    "Commitment",
    "CommitmentStatus",
    "DiaryEntry",
    "DiaryShare",
    "DiaryThread",
    "DiaryToShare",
    "Digest",
    "Escalation",
    "EscalationState",
    "Handover",
    "Person",
    "ProcessedEvent",
    "Proposal",
    "ReviewAnswer",
    "Side",
    "Tenant",
    "WeeklyReview",
    "WorkspaceInstall",
    "WorkspacePace",
    "WorkspaceSettings",
    "acting_for",
]
