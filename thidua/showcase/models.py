"""Good models and creative practices (mô hình hay, cách làm sáng tạo, điển hình tiên tiến): found by units,
recognised by the secretariat, replicated by other units, featured on the public showcase."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.storage import StoredFileMixin
from thidua.text import fold

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.campaigns.models import Campaign
    from thidua.nominations.models import Nomination
    from thidua.org.models import Unit
    from thidua.registry.models import AwardRecord


class ModelStatus(LabeledEnum):
    PROPOSED = ("proposed", "Đề xuất")
    RECOGNISED = ("recognised", "Đã công nhận")
    ARCHIVED = ("archived", "Lưu trữ")


class ModelField(LabeledEnum):
    """The field a good model belongs to (for the showcase's filters)."""

    ADMINISTRATION = ("administration", "Cải cách hành chính, chuyển đổi số")
    ECONOMY = ("economy", "Kinh tế, sản xuất, kinh doanh")
    AGRICULTURE = ("agriculture", "Nông nghiệp, nông thôn mới")
    EDUCATION = ("education", "Giáo dục, đào tạo")
    HEALTH = ("health", "Y tế, chăm sóc sức khỏe")
    CULTURE = ("culture", "Văn hóa, xã hội, an sinh")
    ENVIRONMENT = ("environment", "Tài nguyên, môi trường")
    SECURITY = ("security", "Quốc phòng, an ninh, trật tự")
    OTHER = ("other", "Lĩnh vực khác")


good_model_awards = sa.Table(
    "good_model_awards",
    db.metadata,
    sa.Column("good_model_id", sa.ForeignKey("good_models.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("award_record_id", sa.ForeignKey("award_records.id", ondelete="CASCADE"), primary_key=True),
)

good_model_nominations = sa.Table(
    "good_model_nominations",
    db.metadata,
    sa.Column("good_model_id", sa.ForeignKey("good_models.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("nomination_id", sa.ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True),
)


class GoodModel(db.Model):
    __tablename__ = "good_models"
    __table_args__ = (sa.Index("ix_good_models_status_featured", "status", "featured"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    title_folded: Mapped[str] = mapped_column(sa.String(300), index=True)  # diacritic-free, for search
    field: Mapped[ModelField] = mapped_column(enum_column(ModelField, "model_field"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)  # the unit that built it
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    summary: Mapped[str] = mapped_column(sa.String(500))  # one paragraph, shown on cards
    description: Mapped[str] = mapped_column(sa.Text)
    results: Mapped[str | None] = mapped_column(sa.Text)
    started_on: Mapped[date | None]
    status: Mapped[ModelStatus] = mapped_column(enum_column(ModelStatus, "model_status"),
                                                default=ModelStatus.PROPOSED)
    recognised_on: Mapped[date | None]
    recognition_ref: Mapped[str | None] = mapped_column(sa.String(255))  # the recognising document
    featured: Mapped[bool] = mapped_column(default=False)  # chosen by the secretariat for the public home
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    files: Mapped[list[GoodModelFile]] = relationship(
        back_populates="good_model", cascade="all, delete-orphan", order_by="GoodModelFile.position"
    )
    replications: Mapped[list[Replication]] = relationship(
        back_populates="good_model", cascade="all, delete-orphan", order_by="Replication.adopted_on"
    )
    awards: Mapped[list[AwardRecord]] = relationship(secondary=good_model_awards)
    nominations: Mapped[list[Nomination]] = relationship(secondary=good_model_nominations)

    __mapper_args__ = {"version_id_col": version}
    __audit_exclude__ = frozenset({"title_folded"})

    def __str__(self) -> str:
        return self.title

    @sa.orm.validates("title")
    def _fold(self, key, value):
        self.title_folded = fold(value)
        return value

    @property
    def is_public(self) -> bool:
        """Only recognised models appear on the public showcase."""
        return self.status == ModelStatus.RECOGNISED


class FileKind(LabeledEnum):
    PHOTO = ("photo", "Ảnh")
    DOCUMENT = ("document", "Tài liệu")


class GoodModelFile(StoredFileMixin, db.Model):
    """A photo (JPEG/PNG, shown publicly once the model is recognised) or a document (PDF/DOCX) of a model."""

    __tablename__ = "good_model_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    good_model_id: Mapped[int] = mapped_column(sa.ForeignKey("good_models.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FileKind] = mapped_column(enum_column(FileKind, "model_file_kind"))
    caption: Mapped[str | None] = mapped_column(sa.String(300))
    public: Mapped[bool] = mapped_column(default=True)  # may appear on the public page
    position: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    good_model: Mapped[GoodModel] = relationship(back_populates="files")


class Replication(db.Model):
    """A unit that adopted a model: when, and with what result."""

    __tablename__ = "replications"
    __table_args__ = (sa.UniqueConstraint("good_model_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    good_model_id: Mapped[int] = mapped_column(sa.ForeignKey("good_models.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    adopted_on: Mapped[date]
    result: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    good_model: Mapped[GoodModel] = relationship(back_populates="replications")
    unit: Mapped[Unit] = relationship()
