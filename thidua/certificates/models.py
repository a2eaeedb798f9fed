"""Certificate templates and artwork, printer calibrations, batch print jobs and the print log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.storage import StoredFileMixin

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.awards.models import Decision, DecisionItem
    from thidua.org.models import Unit


class PrintMode(LabeledEnum):
    FULL = ("full", "In toàn bộ mẫu trên giấy trắng")
    BLANK = ("blank", "In phần chữ lên phôi in sẵn")


class ArtworkKind(LabeledEnum):
    EMBLEM = ("emblem", "Quốc huy")
    BORDER = ("border", "Hoa văn viền")


class CertificateTemplate(db.Model):
    """The design of one kind of certificate: page size, HTML/CSS with named fields (rendered in a
    sandbox, so an admin may edit them), and the millimetre layout of the fields for pre-printed blanks.
    `award_codes` lists the titles and forms that print with it."""

    __tablename__ = "certificate_templates"
    __table_args__ = (sa.CheckConstraint("page_width_mm > 0 AND page_height_mm > 0", name="page_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    award_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    page_width_mm: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    page_height_mm: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    heading: Mapped[str] = mapped_column(sa.String(100))  # "BẰNG KHEN", "GIẤY KHEN", "CHIẾN SĨ THI ĐUA CƠ SỞ"
    html: Mapped[str] = mapped_column(sa.Text)  # the page body, a sandboxed Jinja template of the named fields
    css: Mapped[str] = mapped_column(sa.Text)
    # field name → {"x": mm, "y": mm, "w": mm, "size": pt, "align": "left|center|right", "bold": bool, "italic": bool}
    blank_layout: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name


class Artwork(StoredFileMixin, db.Model):
    """An image the deploying agency supplies (the official emblem, the border); without one the
    neutral placeholder in static/certificates/ is used."""

    __tablename__ = "artworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ArtworkKind] = mapped_column(enum_column(ArtworkKind, "artwork_kind"), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    uploaded_by: Mapped[User | None] = relationship()


class PrinterCalibration(db.Model):
    """How one printer misplaces a page: printed position = offset + scale × intended position (mm)."""

    __tablename__ = "printer_calibrations"
    __table_args__ = (sa.CheckConstraint("scale > 0.5 AND scale < 1.5", name="scale_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    offset_x_mm: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("0"))
    offset_y_mm: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("0"))
    scale: Mapped[Decimal] = mapped_column(sa.Numeric(5, 4), default=Decimal("1"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name


class JobStatus(LabeledEnum):
    QUEUED = ("queued", "Đang chờ")
    RUNNING = ("running", "Đang tạo")
    DONE = ("done", "Hoàn thành")
    FAILED = ("failed", "Lỗi")


class PrintJob(db.Model):
    """A batch of certificates rendered in the background: a whole decision, or one unit's awardees
    in it. The finished PDF is kept (under UPLOAD_FOLDER) for download."""

    __tablename__ = "print_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("decisions.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # None: the whole decision
    mode: Mapped[PrintMode] = mapped_column(enum_column(PrintMode, "print_mode"))
    calibration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("printer_calibrations.id"))
    copies: Mapped[int] = mapped_column(default=1)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)  # pages
    done: Mapped[int] = mapped_column(default=0)
    stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    # Touched when the job starts and as each chunk finishes: a "running" job whose heartbeat is old was left
    # by a consumer that died, and the sweeper marks it failed.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    decision: Mapped[Decision] = relationship()
    unit: Mapped[Unit | None] = relationship()
    calibration: Mapped[PrinterCalibration | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    __audit_skip__ = True  # progress counters change many times; the print log records the act

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == JobStatus.DONE else 0)


class PrintLog(db.Model):
    """Who printed which certificate, when, how many copies, in which mode; reprints are marked."""

    __tablename__ = "print_logs"
    __table_args__ = (sa.CheckConstraint("copies >= 1", name="copies_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("decision_items.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("print_jobs.id", ondelete="SET NULL"))
    mode: Mapped[PrintMode] = mapped_column(enum_column(PrintMode, "print_mode"))
    copies: Mapped[int] = mapped_column(default=1)
    reprint: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[DecisionItem] = relationship()
    user: Mapped[User | None] = relationship()
    job: Mapped[PrintJob | None] = relationship()
