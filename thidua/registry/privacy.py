"""A data subject's access request (Decree 13/2023/NĐ-CP on personal data protection): everything the
application holds about one person, as one ZIP the secretariat hands over.

`collect(person)` reads the data into `Section`s (one table each, with Vietnamese labels);
`export_person(person)` writes them as `du-lieu-ca-nhan.json` and `du-lieu-ca-nhan.xlsx` (one sheet per
section) with the dossiers' attached files under `tep-dinh-kem/`, and records the export in the audit log
(flushes, never commits). Who may export is `permissions` ("person.export"), not this module's business.

The registry sits below the domains that name a person (nominations, councils, awards, certificates,
showcase, notices, audit), yet this module reads them all: it is the one place that must see everything
about a person. Those imports are made inside the functions and nothing imports this module back, so
the registry's models still load on their own.

Left out on purpose, because it is other people's personal data or secret by law: who wrote a public
comment (name, contact, IP address), the IP addresses in the audit log, and council members' individual
scores and votes (the secret ballot); the council's result for each dossier is included.
"""

from __future__ import annotations

import enum
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from thidua import storage
from thidua.exports import ascii_filename
from thidua.extensions import db, utcnow

from .models import AnnualEvaluation, DisciplineRecord, Initiative, Person

__all__ = ["Column", "Section", "PersonExport", "collect", "export_person", "ATTACHMENTS_MAX_BYTES"]

# The attached files go into the archive up to this total; beyond it they are listed only (a person has
# a few dossiers of a few files, each at most MAX_UPLOAD_MB, so this is rarely reached).
ATTACHMENTS_MAX_BYTES = 200 * 1024 * 1024
JSON_NAME = "du-lieu-ca-nhan.json"
XLSX_NAME = "du-lieu-ca-nhan.xlsx"
README_NAME = "doc-truoc.txt"
FILES_DIR = "tep-dinh-kem"

# Tables whose rows carry a person_id: audit entries of their rows, even deleted ones, are about the person.
_PERSON_TABLES = ("people", "award_records", "annual_evaluations", "initiatives", "discipline_records",
                  "nominations", "decision_items", "council_members")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # "text", "int", "money", "date", "datetime"


@dataclass
class Section:
    """One table of the export; `vertical` prints a single record as label | value lines."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    vertical: bool = False


@dataclass
class PersonExport:
    file: IO[bytes]
    download_name: str
    size: int
    attachments_included: int
    attachments_listed: int


def _c(key: str, label: str, kind: str = "text") -> Column:
    return Column(key, label, kind)


def _label(value):
    return value.label if isinstance(value, enum.Enum) and hasattr(value, "label") else value


def _unit(unit) -> str | None:
    return f"{unit.name} ({unit.code})" if unit is not None else None


# --- reading ------------------------------------------------------------------------------------

def collect(person: Person) -> list[Section]:
    """Every section of `person`'s data, in the order the workbook shows them. Attachment rows carry
    `_stored_name` (not exported) so that `export_person` can add the files."""
    from thidua.nominations.models import Nomination

    nominations = list(db.session.scalars(
        sa.select(Nomination).where(Nomination.person_id == person.id).order_by(Nomination.year, Nomination.id)))
    nomination_ids = [n.id for n in nominations]
    sections = [
        _identity(person),
        _awards(person),
        _evaluations(person),
        _initiatives(person),
        _discipline(person),
        _nominations(nominations),
        *_dossier_parts(nominations),
        _comments(nomination_ids),
        _council_results(nomination_ids),
        _certificates(person),
        _good_models(person, nomination_ids),
        _council_seats(person),
    ]
    sections.append(_audit(person, sections))
    return sections


def _identity(person: Person) -> Section:
    columns = [_c("id", "Mã người trong sổ", "int"), _c("full_name", "Họ và tên"), _c("gender", "Giới tính"),
               _c("birth_date", "Ngày sinh", "date"), _c("national_id", "Số CMND/CCCD"),
               _c("position", "Chức vụ"), _c("unit", "Đơn vị công tác"),
               _c("subject_category", "Đối tượng (biểu thống kê)"), _c("hired_on", "Ngày tuyển dụng", "date"),
               _c("created_at", "Ngày ghi vào sổ", "datetime")]
    row = {"id": person.id, "full_name": person.full_name, "gender": person.gender, "birth_date": person.birth_date,
           "national_id": person.national_id, "position": person.position, "unit": _unit(person.unit),
           "subject_category": person.subject_category, "hired_on": person.hired_on, "created_at": person.created_at}
    return Section("person", "Thông tin cá nhân", columns, [row], vertical=True)


def _awards(person: Person) -> Section:
    columns = [_c("id", "Mã dòng", "int"), _c("year", "Năm", "int"), _c("award_code", "Mã danh hiệu, hình thức"),
               _c("award_name", "Danh hiệu, hình thức"), _c("method", "Loại khen thưởng"),
               _c("decision_number", "Số quyết định"), _c("decision_date", "Ngày quyết định", "date"),
               _c("issuer", "Cơ quan ban hành"), _c("gold_book_number", "Số sổ vàng"), _c("source", "Nguồn"),
               _c("revoked_on", "Ngày thu hồi", "date"), _c("note", "Ghi chú")]
    rows = [{"id": a.id, "year": a.year, "award_code": a.award_code, "award_name": a.award_name, "method": a.method,
             "decision_number": a.decision_number, "decision_date": a.decision_date, "issuer": a.issuer,
             "gold_book_number": a.gold_book_number, "source": a.source, "revoked_on": a.revoked_on, "note": a.note}
            for a in sorted(person.awards, key=lambda a: (a.year, a.id))]
    return Section("awards", "Khen thưởng trong sổ", columns, rows)


def _evaluations(person: Person) -> Section:
    rows = [{"year": e.year, "rating": e.rating} for e in db.session.scalars(
        sa.select(AnnualEvaluation).where(AnnualEvaluation.person_id == person.id).order_by(AnnualEvaluation.year))]
    return Section("evaluations", "Đánh giá, xếp loại hằng năm",
                   [_c("year", "Năm", "int"), _c("rating", "Kết quả đánh giá, xếp loại")], rows)


def _initiatives(person: Person) -> Section:
    columns = [_c("id", "Mã", "int"), _c("title", "Tên sáng kiến, đề tài"), _c("is_research", "Đề tài khoa học"),
               _c("level", "Cấp công nhận"), _c("recognised_on", "Ngày công nhận", "date"),
               _c("decision_ref", "Quyết định công nhận"), _c("used_by", "Đã dùng để xét khen thưởng")]
    rows = [{"id": i.id, "title": i.title, "is_research": i.is_research, "level": i.level,
             "recognised_on": i.recognised_on, "decision_ref": i.decision_ref,
             "used_by": str(i.used_by_award) if i.used_by_award else None}
            for i in db.session.scalars(sa.select(Initiative).where(Initiative.person_id == person.id)
                                        .order_by(Initiative.id))]
    return Section("initiatives", "Sáng kiến, đề tài khoa học", columns, rows)


def _discipline(person: Person) -> Section:
    columns = [_c("level", "Hình thức kỷ luật, tình trạng"), _c("starts_on", "Từ ngày", "date"),
               _c("ends_on", "Đến ngày", "date"), _c("note", "Ghi chú")]
    rows = [{"level": d.level, "starts_on": d.starts_on, "ends_on": d.ends_on, "note": d.note}
            for d in db.session.scalars(sa.select(DisciplineRecord).where(DisciplineRecord.person_id == person.id)
                                        .order_by(DisciplineRecord.starts_on))]
    return Section("discipline", "Kỷ luật, vụ việc đang xem xét", columns, rows)


def _nominations(nominations) -> Section:
    columns = [_c("id", "Mã hồ sơ", "int"), _c("award_type", "Danh hiệu, hình thức đề nghị"), _c("year", "Năm", "int"),
               _c("method", "Loại khen thưởng"), _c("campaign", "Phong trào"), _c("unit", "Đơn vị đề nghị"),
               _c("batch", "Tờ trình"), _c("status", "Trạng thái"), _c("created_at", "Ngày lập", "datetime"),
               _c("submitted_at", "Ngày gửi", "datetime"), _c("achievement_summary", "Tóm tắt thành tích"),
               _c("initiatives", "Sáng kiến, đề tài kèm theo")]
    rows = [{"id": n.id, "award_type": n.award_type.name, "year": n.year, "method": n.method,
             "campaign": n.campaign.name if n.campaign else None, "unit": _unit(n.unit),
             "batch": f"{n.batch.number} ngày {n.batch.dated_on:%d/%m/%Y}" if n.batch else None,
             "status": n.status, "created_at": n.created_at, "submitted_at": n.submitted_at,
             "achievement_summary": n.achievement_summary,
             "initiatives": "; ".join(i.title for i in n.initiatives) or None} for n in nominations]
    return Section("nominations", "Hồ sơ đề nghị khen thưởng", columns, rows)


def _dossier_parts(nominations) -> list[Section]:
    from thidua.nominations.workflow import ACTION_LABELS

    events = [{"nomination_id": n.id, "at": e.at, "action": ACTION_LABELS.get(e.action, e.action),
               "from_status": e.from_status, "to_status": e.to_status,
               "actor": e.actor.full_name if e.actor else None, "note": e.note}
              for n in nominations for e in sorted(n.events, key=lambda e: (e.at, e.id))]
    attachments = [{"nomination_id": n.id, "id": a.id, "part": a.part, "original_name": a.original_name,
                    "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "uploaded_at": a.uploaded_at,
                    "in_archive": None, "_stored_name": a.stored_name}
                   for n in nominations for a in sorted(n.attachments, key=lambda a: a.id)]
    return [
        Section("nomination_events", "Quá trình xử lý hồ sơ",
                [_c("nomination_id", "Mã hồ sơ", "int"), _c("at", "Thời điểm", "datetime"), _c("action", "Thao tác"),
                 _c("from_status", "Từ trạng thái"), _c("to_status", "Sang trạng thái"),
                 _c("actor", "Người thực hiện"), _c("note", "Ý kiến, ghi chú")], events),
        Section("attachments", "Tệp đính kèm hồ sơ",
                [_c("nomination_id", "Mã hồ sơ", "int"), _c("id", "Mã tệp", "int"), _c("part", "Thành phần hồ sơ"),
                 _c("original_name", "Tên tệp"), _c("content_type", "Định dạng"), _c("size", "Dung lượng (byte)", "int"),
                 _c("sha256", "Mã băm SHA-256"), _c("uploaded_at", "Ngày tải lên", "datetime"),
                 _c("in_archive", "Tệp trong bản xuất")], attachments),
    ]


def _comments(nomination_ids: list[int]) -> Section:
    from thidua.notices.models import NoticeComment

    rows = []
    if nomination_ids:
        comments = db.session.scalars(sa.select(NoticeComment).where(NoticeComment.nomination_id.in_(nomination_ids))
                                      .order_by(NoticeComment.created_at, NoticeComment.id))
        # The author's name, contact and address are the commenter's personal data, not the subject's.
        rows = [{"nomination_id": c.nomination_id, "notice": c.notice.title, "created_at": c.created_at,
                 "body": c.body} for c in comments]
    return Section("comments", "Ý kiến nhân dân khi công khai",
                   [_c("nomination_id", "Mã hồ sơ", "int"), _c("notice", "Thông báo công khai"),
                    _c("created_at", "Thời điểm gửi", "datetime"), _c("body", "Nội dung ý kiến")], rows)


def _council_results(nomination_ids: list[int]) -> Section:
    from thidua.councils.models import AgendaItem, CouncilSession

    rows = []
    if nomination_ids:
        items = db.session.scalars(sa.select(AgendaItem).join(CouncilSession)
                                   .where(AgendaItem.nomination_id.in_(nomination_ids))
                                   .order_by(CouncilSession.held_on, AgendaItem.id))
        rows = [{"nomination_id": i.nomination_id, "council": i.session.council.name, "session": i.session.title,
                 "held_on": i.session.held_on, "result": i.result, "decided_at": i.decided_at} for i in items]
    return Section("council_results", "Kết quả xét của Hội đồng",
                   [_c("nomination_id", "Mã hồ sơ", "int"), _c("council", "Hội đồng"), _c("session", "Phiên họp"),
                    _c("held_on", "Ngày họp", "date"), _c("result", "Kết quả"),
                    _c("decided_at", "Thời điểm kết luận", "datetime")], rows)


def _certificates(person: Person) -> Section:
    from thidua.awards.models import Decision, DecisionItem

    items = db.session.scalars(sa.select(DecisionItem).join(Decision).where(DecisionItem.person_id == person.id)
                               .order_by(Decision.signed_on, DecisionItem.id))
    rows = [{"decision_number": i.decision.number, "signed_on": i.decision.signed_on,
             "decision_status": i.decision.status, "award_type": i.decision.award_type.name,
             "awardee_name": i.awardee_name, "awardee_detail": i.awardee_detail, "achievement": i.achievement,
             "amount": i.amount, "gold_book_number": i.gold_book_number, "verify_code": i.verify_code,
             "revoked_at": i.revoked_at, "revocation_number": i.revocation_number,
             "revocation_reason": i.revocation_reason} for i in items]
    columns = [_c("decision_number", "Số quyết định"), _c("signed_on", "Ngày ký", "date"),
               _c("decision_status", "Tình trạng quyết định"), _c("award_type", "Danh hiệu, hình thức"),
               _c("awardee_name", "Tên ghi trên quyết định"), _c("awardee_detail", "Chức vụ, đơn vị ghi trên quyết định"),
               _c("achievement", "Thành tích"), _c("amount", "Tiền thưởng (đồng)", "money"),
               _c("gold_book_number", "Số sổ vàng", "int"), _c("verify_code", "Mã tra cứu giấy chứng nhận"),
               _c("revoked_at", "Thu hồi lúc", "datetime"), _c("revocation_number", "Quyết định thu hồi"),
               _c("revocation_reason", "Lý do thu hồi")]
    return Section("certificates", "Quyết định khen thưởng, giấy chứng nhận", columns, rows)


def _good_models(person: Person, nomination_ids: list[int]) -> Section:
    from thidua.showcase.models import GoodModel, good_model_awards, good_model_nominations

    award_ids = [a.id for a in person.awards]
    by_award = sa.select(good_model_awards.c.good_model_id).where(good_model_awards.c.award_record_id.in_(award_ids))
    by_nomination = sa.select(good_model_nominations.c.good_model_id).where(
        good_model_nominations.c.nomination_id.in_(nomination_ids))
    rows = []
    if award_ids or nomination_ids:
        models = db.session.scalars(sa.select(GoodModel).where(
            sa.or_(GoodModel.id.in_(by_award), GoodModel.id.in_(by_nomination))).order_by(GoodModel.id))
        for m in models:
            links = [str(a) for a in m.awards if a.id in award_ids]
            links += [f"hồ sơ số {n.id}" for n in m.nominations if n.id in nomination_ids]
            rows.append({"id": m.id, "title": m.title, "unit": _unit(m.unit), "status": m.status,
                         "recognised_on": m.recognised_on, "recognition_ref": m.recognition_ref,
                         "linked_by": "; ".join(links)})
    return Section("good_models", "Mô hình hay, điển hình tiên tiến liên quan",
                   [_c("id", "Mã", "int"), _c("title", "Tên mô hình"), _c("unit", "Đơn vị xây dựng"),
                    _c("status", "Tình trạng"), _c("recognised_on", "Ngày công nhận", "date"),
                    _c("recognition_ref", "Văn bản công nhận"), _c("linked_by", "Gắn với")], rows)


def _council_seats(person: Person) -> Section:
    from thidua.councils.models import CouncilMember

    seats = db.session.scalars(sa.select(CouncilMember).where(CouncilMember.person_id == person.id)
                               .order_by(CouncilMember.term_from, CouncilMember.id))
    rows = [{"council": s.council.name, "role": s.role, "position": s.position, "term_from": s.term_from,
             "term_to": s.term_to} for s in seats]
    return Section("council_seats", "Tham gia Hội đồng Thi đua - Khen thưởng",
                   [_c("council", "Hội đồng"), _c("role", "Vai trò"), _c("position", "Chức vụ"),
                    _c("term_from", "Từ ngày", "date"), _c("term_to", "Đến ngày", "date")], rows)


def _audit(person: Person, sections: list[Section]) -> Section:
    """Audit entries about the person's rows: their record, registry lines, dossiers (with files and
    history), decision items and council seats; rows since deleted are found by the person_id they held."""
    from thidua.audit.labels import action_label, object_type_label
    from thidua.audit.models import AuditEntry
    from thidua.awards.models import DecisionItem
    from thidua.councils.models import CouncilMember
    from thidua.nominations.models import Nomination, NominationAttachment, NominationEvent

    def ids(model, where) -> list[str]:
        return [str(i) for i in db.session.scalars(sa.select(model.id).where(where))]

    nominations = sa.select(Nomination.id).where(Nomination.person_id == person.id)
    objects = {
        "people": [str(person.id)],
        "award_records": [str(a.id) for a in person.awards],
        "annual_evaluations": ids(AnnualEvaluation, AnnualEvaluation.person_id == person.id),
        "initiatives": ids(Initiative, Initiative.person_id == person.id),
        "discipline_records": ids(DisciplineRecord, DisciplineRecord.person_id == person.id),
        "nominations": ids(Nomination, Nomination.person_id == person.id),
        "nomination_attachments": ids(NominationAttachment, NominationAttachment.nomination_id.in_(nominations)),
        "nomination_events": ids(NominationEvent, NominationEvent.nomination_id.in_(nominations)),
        "decision_items": ids(DecisionItem, DecisionItem.person_id == person.id),
        "council_members": ids(CouncilMember, CouncilMember.person_id == person.id),
    }
    held = [AuditEntry.changes[("person_id", i)].as_integer() == person.id for i in (0, 1)]
    condition = sa.or_(
        *(sa.and_(AuditEntry.object_type == table, AuditEntry.object_id.in_(object_ids))
          for table, object_ids in objects.items() if object_ids),
        sa.and_(AuditEntry.object_type.in_(_PERSON_TABLES), sa.or_(*held)),
    )
    rows = [{"at": e.at, "actor": e.actor_name, "action": action_label(e.action),
             "object_type": object_type_label(e.object_type), "object_id": e.object_id, "object": e.object_repr,
             "changes": json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else None}
            for e in db.session.scalars(sa.select(AuditEntry).where(condition).order_by(AuditEntry.at, AuditEntry.id))]
    return Section("audit", "Nhật ký hệ thống về người này",
                   [_c("at", "Thời điểm", "datetime"), _c("actor", "Người thực hiện"), _c("action", "Thao tác"),
                    _c("object_type", "Loại đối tượng"), _c("object_id", "Mã đối tượng"), _c("object", "Đối tượng"),
                    _c("changes", "Nội dung thay đổi")], rows)


# --- writing ------------------------------------------------------------------------------------

def _local(value: datetime) -> datetime:
    from thidua.filters import local_time

    return local_time(value)


def _json_value(value):
    value = _label(value)
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _public_rows(section: Section) -> list[dict[str, Any]]:
    keys = [c.key for c in section.columns]
    return [{k: _json_value(row.get(k)) for k in keys} for row in section.rows]


def to_json(person: Person, sections: list[Section], *, made_at: datetime) -> bytes:
    data = {
        "tieu_de": f"Dữ liệu cá nhân của {person.full_name} trong phần mềm Thi đua - Khen thưởng",
        "thoi_diem_xuat": _json_value(made_at),
        "person_id": person.id,
        "sections": {s.key: {"title": s.title, "labels": {c.key: c.label for c in s.columns},
                             "rows": _public_rows(s)} for s in sections},
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


_FORMATS = {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "money": "#,##0", "int": "0"}


def _cell(value, kind: str):
    value = _label(value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, datetime):
        return _local(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31].rstrip()
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def to_xlsx(person: Person, sections: list[Section], *, made_at: datetime) -> bytes:
    """One sheet per section: a title line, the bold header, then the rows (typed cells)."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for section in sections:
        ws = wb.create_sheet(_sheet_title(section.title, used))
        ws.cell(row=1, column=1, value=f"{section.title} – {person.full_name}").font = Font(bold=True, size=13)
        ws.cell(row=2, column=1, value=f"Xuất ngày {_local(made_at):%d/%m/%Y %H:%M}").font = Font(italic=True)
        if section.vertical:
            ws.append([])
            for col in section.columns:
                for row in section.rows:
                    ws.append([col.label, _cell(row.get(col.key), col.kind)])
                    ws.cell(row=ws.max_row, column=1).font = bold
                    if col.kind in _FORMATS and ws.cell(row=ws.max_row, column=2).value is not None:
                        ws.cell(row=ws.max_row, column=2).number_format = _FORMATS[col.kind]
            ws.column_dimensions["A"].width = 30
            ws.column_dimensions["B"].width = 50
            continue
        header_row = 4
        for i, col in enumerate(section.columns, start=1):
            cell = ws.cell(row=header_row, column=i, value=col.label)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(i)].width = min(max(len(col.label), 12) + 2, 50)
        if not section.rows:
            ws.cell(row=header_row + 1, column=1, value="Không có dữ liệu.").font = Font(italic=True)
        for r, row in enumerate(section.rows, start=header_row + 1):
            for i, col in enumerate(section.columns, start=1):
                cell = ws.cell(row=r, column=i, value=_cell(row.get(col.key), col.kind))
                if col.kind in _FORMATS and cell.value is not None:
                    cell.number_format = _FORMATS[col.kind]
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _readme(person: Person, sections: list[Section], *, made_at: datetime, actor: str) -> str:
    lines = [
        f"DỮ LIỆU CÁ NHÂN CỦA {person.full_name.upper()}",
        "",
        "Bản xuất dữ liệu cá nhân theo yêu cầu của chủ thể dữ liệu (Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân).",
        f"Thời điểm xuất: {_local(made_at):%d/%m/%Y %H:%M}. Người xuất: {actor}.",
        "",
        f"- {XLSX_NAME}: mỗi phần một trang tính, tiêu đề tiếng Việt.",
        f"- {JSON_NAME}: cùng nội dung, dạng máy đọc được.",
        f"- {FILES_DIR}/: các tệp đính kèm hồ sơ đề nghị khen thưởng (theo mã hồ sơ).",
        "",
        "Các phần:",
        *(f"- {s.title}: {len(s.rows)} dòng" for s in sections),
        "",
        "Không kèm theo: họ tên, địa chỉ liên hệ của người gửi ý kiến khi công khai; địa chỉ IP trong nhật ký;",
        "phiếu chấm điểm, phiếu biểu quyết của từng thành viên Hội đồng (bỏ phiếu kín). Đây là dữ liệu của người khác",
        "hoặc thông tin phải giữ bí mật; kết quả xét của Hội đồng đối với từng hồ sơ có trong bản xuất.",
    ]
    return "\r\n".join(lines) + "\r\n"


def _archive_name(row: dict[str, Any]) -> str:
    stem, dot, ext = row["original_name"].rpartition(".")
    name = ascii_filename(stem if dot else row["original_name"]) + (f".{ascii_filename(ext)}" if dot else "")
    return f"{FILES_DIR}/ho-so-{row['nomination_id']}/{row['id']}-{name}"


def export_person(person: Person, *, actor, max_attachment_bytes: int = ATTACHMENTS_MAX_BYTES) -> PersonExport:
    """Build `person`'s ZIP and record the export in the audit log ("person.export"; the entry carries who
    and when). Flushes, never commits: the caller commits before sending the file."""
    from thidua.audit.services import record

    made_at = utcnow()
    actor_name = str(actor) if actor is not None else "hệ thống"
    sections = collect(person)
    attachments = next(s for s in sections if s.key == "attachments")
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - handed to send_file
    included = total = 0
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in attachments.rows:
            try:
                path = storage.path_of(row["_stored_name"])
                size = path.stat().st_size
            except (FileNotFoundError, OSError):
                row["in_archive"] = "Không còn tệp trên máy chủ"
                continue
            if total + size > max_attachment_bytes:
                row["in_archive"] = "Không kèm theo: vượt dung lượng của một bản xuất, xin cấp riêng"
                continue
            name = _archive_name(row)
            archive.write(path, name, compress_type=zipfile.ZIP_STORED)  # PDFs and images do not shrink
            row["in_archive"] = name
            included += 1
            total += size
        archive.writestr(README_NAME, _readme(person, sections, made_at=made_at, actor=actor_name))
        archive.writestr(XLSX_NAME, to_xlsx(person, sections, made_at=made_at))
        archive.writestr(JSON_NAME, to_json(person, sections, made_at=made_at))
    size = spool.tell()
    spool.seek(0)
    record("person.export", person, session=db.session, sections={s.key: len(s.rows) for s in sections},
           attachments=included, size=size)
    db.session.flush()
    download = f"du-lieu-ca-nhan-{ascii_filename(person.full_name)}-{person.id}-{made_at:%Y%m%d}.zip"
    current_app.logger.info("personal data of person %s exported (%d bytes)", person.id, size)
    return PersonExport(file=spool, download_name=download, size=size, attachments_included=included,
                        attachments_listed=len(attachments.rows))
