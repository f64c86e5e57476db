"""Programmes (申报批次), applications, evidence files, panels and reviews."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, select, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.enums import ApplicationState, Kind, Recommendation, ReviewState, Tier
from models.experts import Expert
from models.people import Enterprise, Jurisdiction

if TYPE_CHECKING:
    from models.designations import Notice


class Programme(Base):
    """A call for applications opened by a bureau; its settings bind its applications for life."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
        CheckConstraint("panel_size >= 3 AND panel_size % 2 = 1", name="panel_size_odd"),
        CheckConstraint("notice_working_days >= 1", name="notice_days_positive"),
        CheckConstraint("validity_years >= 1", name="validity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "tier"))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    guideline: Mapped[str] = mapped_column(String(64))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    pass_mark: Mapped[float]
    panel_size: Mapped[int] = mapped_column(default=3)
    notice_working_days: Mapped[int] = mapped_column(default=5)
    validity_years: Mapped[int] = mapped_column(default=3)
    report_due_month: Mapped[int] = mapped_column(default=4)
    report_due_day: Mapped[int] = mapped_column(default=15)
    # Days after the due date before a missing yearly report opens rectification.
    report_grace_days: Mapped[int] = mapped_column(default=30)
    # A yearly re-evaluation this many points below the designation's score opens rectification.
    deterioration_points: Mapped[float] = mapped_column(default=10.0)
    divergence_threshold: Mapped[float] = mapped_column(default=15.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An expert with this many open reviews (invited or accepted) is not drawn again.
    review_load_cap: Mapped[int] = mapped_column(default=8)
    # Working days an invited expert has to accept or decline, and then to submit the scores.
    invitation_working_days: Mapped[int] = mapped_column(default=3)
    review_working_days: Mapped[int] = mapped_column(default=10)

    jurisdiction: Mapped[Jurisdiction] = relationship()

    def is_open_on(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


class Application(Base):
    """An enterprise's application to a programme (申报); its lifecycle is workflow.application_machine."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(
            "(state = 'designated') = (designated_at IS NOT NULL)", name="designated_has_date"
        ),
        CheckConstraint(
            "(state = 'draft') OR (submitted_at IS NOT NULL) OR (state = 'withdrawn')",
            name="submitted_has_date",
        ),
        Index("ix_applications_state_holding", "state", "holding_jurisdiction_code"),
        # The bureau's lists count and page a jurisdiction's applications by enterprise and state
        # from this index alone, without reading the wide rows (workflow/listings.py).
        Index("ix_applications_enterprise_state", "enterprise_id", "state", "programme_id"),
        # A list of one state sorted by a score or the submission date walks the values of that
        # state alone, rather than every application's, and finds each one's place (for the
        # reader's area) in the index without reading the rows (workflow/listings.py).
        Index("ix_applications_state_auto_score", "state", "auto_score", "id", "place_code"),
        Index("ix_applications_state_panel_score", "state", "panel_score", "id", "place_code"),
        Index("ix_applications_state_submitted", "state", "submitted_at", "id", "place_code"),
        # The lists page an area's applications (all but drafts) newest first, and count them,
        # from this narrow index alone. (An index led by the place would tempt the planner, with
        # a search by name, to intersect it with each enterprise's applications in turn.)
        Index("ix_applications_listed_id_place", "id", "place_code",
              postgresql_where=text("state <> 'draft'"), sqlite_where=text("state <> 'draft'")),
        # A list sorted by the enterprise's name, or searched by it, reads each enterprise's
        # applications in the area, with their programme, from this index alone.
        Index("ix_applications_listed_enterprise", "enterprise_id", "id", "place_code", "programme_id",
              postgresql_where=text("state <> 'draft'"), sqlite_where=text("state <> 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # Where the enterprise is (its jurisdiction, 所在地区), copied when the application is made,
    # for the bureaus' lists to find an area's applications without reading each enterprise. An
    # enterprise's jurisdiction is set when it registers and never changes.
    place_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    state: Mapped[ApplicationState] = mapped_column(
        enum_column(ApplicationState, "application_state"), default=ApplicationState.draft
    )
    holding_jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"))
    guideline: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evaluation: Mapped[dict[str, Any] | None]
    eligible: Mapped[bool | None]
    auto_score: Mapped[float | None] = mapped_column(index=True)  # a sort key of the lists
    panel_score: Mapped[float | None] = mapped_column(index=True)  # a sort key of the lists
    clarification_question: Mapped[str | None] = mapped_column(Text)
    clarification_answer: Mapped[str | None] = mapped_column(Text)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    designated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    programme: Mapped[Programme] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    holding_jurisdiction: Mapped[Jurisdiction | None] = relationship(
        foreign_keys=[holding_jurisdiction_code])
    evidence: Mapped[list[EvidenceFile]] = relationship(
        back_populates="application", order_by="EvidenceFile.id"
    )
    panel: Mapped[Panel | None] = relationship(back_populates="application", uselist=False)
    notice: Mapped[Notice | None] = relationship(back_populates="applications")


class EvidenceFile(Base):
    """An uploaded supporting document (佐证材料), stored under a generated name."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(64), default="")
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="evidence")


@event.listens_for(Application, "before_insert")
def _place_of_enterprise(_mapper: Any, connection: Any, app: Application) -> None:
    """An application made without its place (`place_code`) takes its enterprise's."""
    if app.place_code is None:
        app.place_code = connection.scalar(
            select(Enterprise.jurisdiction_code).where(Enterprise.id == app.enterprise_id))


class Panel(Base):
    """The expert panel drawn for one application, with the report that reproduces and explains it.

    `report` holds the draw (algorithm, seed, candidates, those read in order, the excluded experts
    with their reasons, the rules each chosen expert meets), every replacement, and the
    aggregation of the scores.
    """

    __tablename__ = "panels"
    __table_args__ = (
        UniqueConstraint("application_id"),
        CheckConstraint("discussion IN ('open', 'closed')", name="discussion_known"),
        CheckConstraint(
            "(discussion = 'closed') = (discussion_closed_at IS NOT NULL)", name="closed_has_date"
        ),
        CheckConstraint(
            "(discussion IS NULL) OR (divergence IS NOT NULL)", name="discussion_has_divergence"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    size: Mapped[int]
    seed: Mapped[str] = mapped_column(String(64))
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    algorithm: Mapped[str] = mapped_column(String(32), default="")
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # max − min of the experts' totals; above the programme's threshold a discussion is due.
    divergence: Mapped[float | None]
    discussion: Mapped[str | None] = mapped_column(String(8))  # 专家组讨论: open / closed
    discussion_conclusion: Mapped[str] = mapped_column(Text, default="")
    discussion_closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discussion_closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    application: Mapped[Application] = relationship(back_populates="panel")
    reviews: Mapped[list[Review]] = relationship(back_populates="panel", order_by="Review.id")

    @property
    def discussion_open(self) -> bool:
        return self.discussion == "open"


class Review(Base):
    """One expert's assignment on a panel and, once submitted, their scores."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("panel_id", "expert_id"),
        CheckConstraint(
            "(state = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_has_date"
        ),
        CheckConstraint(
            "(state = 'declined') = (ended_reason IS NOT NULL)", name="declined_has_reason"
        ),
        CheckConstraint(
            "ended_reason IN ('conflict', 'unavailable', 'lapsed', 'deactivated')",
            name="ended_reason_known",
        ),
        # A panel draw counts each expert's open reviews (the load cap) from this narrow index.
        Index("ix_reviews_open_expert", "expert_id", "application_id",
              postgresql_where=text("state IN ('invited', 'accepted')"),
              sqlite_where=text("state IN ('invited', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    label: Mapped[str] = mapped_column(String(8))
    state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState, "review_state"), default=ReviewState.invited
    )
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recommendation: Mapped[Recommendation | None] = mapped_column(
        enum_column(Recommendation, "recommendation")
    )
    comments: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float | None]
    conflict_declaration: Mapped[str] = mapped_column(Text, default="")
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # Accept or decline by `respond_by`; submit by `due_at` (moved on by clarification pauses).
    respond_by: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # Why a declined assignment ended: conflict, unavailable, lapsed (no answer), deactivated.
    ended_reason: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    panel: Mapped[Panel] = relationship(back_populates="reviews")
    application: Mapped[Application] = relationship()
    expert: Mapped[Expert] = relationship()
