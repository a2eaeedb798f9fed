"""Demo data: a realistic slice of Thanh Hóa after the July 2025 reform, one user per role and an
open campaign. Used by `flask thidua seed-demo` and by the browser tests. Idempotent."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from .audit.services import acting_as
from .auth.models import Role, User
from .auth.services import create_user
from .campaigns.models import Campaign, CampaignKind, CampaignStatus
from .clusters.models import Cluster, ClusterKind, ClusterMembership
from .extensions import db, utcnow
from .org.models import Unit, UnitKind, UnitSuccession
from .rules.seed import seed_catalogue

DEMO_PASSWORD = "thidua-demo-2026"
REFORM_DAY = date(2025, 7, 1)
LAST_DAY_OF_DISTRICTS = date(2025, 6, 30)

# (code, name, kind, parent code, valid_from, valid_to)
UNITS: list[tuple[str, str, UnitKind, str | None, date | None, date | None]] = [
    ("38", "UBND tỉnh Thanh Hóa", UnitKind.PROVINCE, None, None, None),
    ("38.VP", "Văn phòng UBND tỉnh", UnitKind.AGENCY, "38", None, None),
    ("38.SNV", "Sở Nội vụ", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SNV.BTDKT", "Ban Thi đua - Khen thưởng", UnitKind.DIVISION, "38.SNV", None, None),
    ("38.STC", "Sở Tài chính", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SGDDT", "Sở Giáo dục và Đào tạo", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SYT", "Sở Y tế", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SXD", "Sở Xây dựng", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SNNMT", "Sở Nông nghiệp và Môi trường", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SCT", "Sở Công Thương", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SKHCN", "Sở Khoa học và Công nghệ", UnitKind.DEPARTMENT, "38", None, None),
    ("38.STP", "Sở Tư pháp", UnitKind.DEPARTMENT, "38", None, None),
    ("38.SDTTG", "Sở Dân tộc và Tôn giáo", UnitKind.DEPARTMENT, "38", None, None),
    ("38.TTR", "Thanh tra tỉnh", UnitKind.AGENCY, "38", None, None),
    ("38.SGDDT.THPTLS", "Trường THPT chuyên Lam Sơn", UnitKind.SCHOOL, "38.SGDDT", None, None),
    ("38.SGDDT.THPTHR", "Trường THPT Hàm Rồng", UnitKind.SCHOOL, "38.SGDDT", None, None),
    ("38.SGDDT.THPTDDT", "Trường THPT Đào Duy Từ", UnitKind.SCHOOL, "38.SGDDT", None, None),
    ("38.SYT.BVDK", "Bệnh viện Đa khoa tỉnh Thanh Hóa", UnitKind.PUBLIC_SERVICE, "38.SYT", None, None),
    # The communes and wards formed on 1 July 2025 (NQ 1686/NQ-UBTVQH15).
    ("38.HACTHANH", "Phường Hạc Thành", UnitKind.WARD, "38", REFORM_DAY, None),
    ("38.HAMRONG", "Phường Hàm Rồng", UnitKind.WARD, "38", REFORM_DAY, None),
    ("38.NGUYETVIEN", "Phường Nguyệt Viên", UnitKind.WARD, "38", REFORM_DAY, None),
    ("38.DONGSON", "Phường Đông Sơn", UnitKind.WARD, "38", REFORM_DAY, None),
    ("38.QUANGPHU", "Phường Quảng Phú", UnitKind.WARD, "38", REFORM_DAY, None),
    ("38.BATMOT", "Xã Bát Mọt", UnitKind.COMMUNE, "38", REFORM_DAY, None),
    ("38.HACTHANH.TH1", "Trường Tiểu học Điện Biên", UnitKind.SCHOOL, "38.HACTHANH", None, None),
    # The former city and some of its wards, ended on 30 June 2025.
    ("38.TPTH", "Thành phố Thanh Hóa", UnitKind.DISTRICT, "38", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.TRUONGTHI", "Phường Trường Thi", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.PHUSON", "Phường Phú Sơn", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.DIENBIEN", "Phường Điện Biên", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.LAMSON", "Phường Lam Sơn", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.BADINH", "Phường Ba Đình", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.NGOCTRAO", "Phường Ngọc Trạo", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.DONGSON", "Phường Đông Sơn (cũ)", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
    ("38.TPTH.DONGTHO", "Phường Đông Thọ", UnitKind.WARD, "38.TPTH", None, LAST_DAY_OF_DISTRICTS),
]

# Hạc Thành took in whole these wards, and part of Đông Thọ.
LINEAGE = [
    ("38.TPTH.TRUONGTHI", "38.HACTHANH", False),
    ("38.TPTH.PHUSON", "38.HACTHANH", False),
    ("38.TPTH.DIENBIEN", "38.HACTHANH", False),
    ("38.TPTH.LAMSON", "38.HACTHANH", False),
    ("38.TPTH.BADINH", "38.HACTHANH", False),
    ("38.TPTH.NGOCTRAO", "38.HACTHANH", False),
    ("38.TPTH.DONGSON", "38.HACTHANH", False),
    ("38.TPTH.DONGTHO", "38.HACTHANH", True),
]

CLUSTERS = [
    ("KHOI-VHXH", "Khối thi đua các sở Văn hóa - Xã hội", ClusterKind.BLOCK,
     ["38.SGDDT", "38.SYT", "38.SVHTTDL", "38.SDTTG"]),
    ("KHOI-KT", "Khối thi đua các sở Kinh tế", ClusterKind.BLOCK,
     ["38.STC", "38.SXD", "38.SNNMT", "38.SCT", "38.SKHCN"]),
    ("CUM-PHUONG-1", "Cụm thi đua số 1 các phường", ClusterKind.CLUSTER,
     ["38.HACTHANH", "38.HAMRONG", "38.NGUYETVIEN", "38.DONGSON", "38.QUANGPHU"]),
]

# (username, full name, role, unit code or None, description)
USERS = [
    ("admin", "Quản trị hệ thống", Role.ADMIN, None, "quản trị viên"),
    ("banthidua", "Lê Thị Hằng", Role.SECRETARIAT, None, "Ban Thi đua - Khen thưởng (kiểm tra hồ sơ)"),
    ("donvi", "Nguyễn Văn An", Role.UNIT_OFFICER, "38.SGDDT", "cán bộ Sở Giáo dục và Đào tạo (và các trường trực thuộc)"),
    ("phuong", "Trịnh Thị Mai", Role.UNIT_OFFICER, "38.HACTHANH", "cán bộ phường Hạc Thành"),
    ("hoidong", "Đặng Quốc Vượng", Role.COUNCIL_MEMBER, None, "thành viên Hội đồng TĐKT tỉnh"),
    ("lanhdao", "Đỗ Minh Tuấn", Role.APPROVER, None, "lãnh đạo ký quyết định"),
]

CAMPAIGN_NAME = "Cả nước thi đua đổi mới sáng tạo và chuyển đổi số"


def seed_demo() -> tuple[bool, list[tuple[str, str]]]:
    """Create the demo data unless it exists. Returns (created?, [(username, description)])."""
    listing = [(u[0], u[4]) for u in USERS]
    with acting_as(None):
        seed_catalogue()
    if db.session.scalar(sa.select(Unit.id).where(Unit.code == "38")) is not None:
        return False, listing
    with acting_as(None):
        units: dict[str, Unit] = {}
        for code, name, kind, parent, valid_from, valid_to in UNITS:
            units[code] = Unit(code=code, name=name, kind=kind, parent=units.get(parent) if parent else None,
                               valid_from=valid_from, valid_to=valid_to)
            db.session.add(units[code])
        for old, new, partial in LINEAGE:
            db.session.add(UnitSuccession(predecessor=units[old], successor=units[new], effective_on=REFORM_DAY,
                                          partial=partial, note="NQ 1686/NQ-UBTVQH15"))
        for code, name, kind, members in CLUSTERS:
            cluster = Cluster(code=code, name=name, kind=kind)
            cluster.memberships = [ClusterMembership(unit=units[m]) for m in members]
            db.session.add(cluster)
        db.session.flush()
        admin = None
        for username, full_name, role, unit_code, _ in USERS:
            if db.session.scalar(sa.select(User.id).where(User.username == username)):
                continue
            user = create_user(username=username, full_name=full_name, password=DEMO_PASSWORD,
                               roles=[(role, units[unit_code].id if unit_code else None)])
            admin = admin or user
        today = date.today()
        db.session.add(Campaign(
            name=CAMPAIGN_NAME,
            kind=CampaignKind.THEMATIC,
            status=CampaignStatus.OPEN,
            status_changed_at=utcnow(),
            launching_authority="UBND tỉnh Thanh Hóa",
            launching_unit=units["38"],
            decision_ref="KH 130/KH-UBND ngày 27/6/2025",
            starts_on=date(2025, 6, 27),
            ends_on=date(today.year + 1, 12, 31),
            nomination_deadline=date(today.year + 1, 11, 30),
            goals="Hưởng ứng phong trào thi đua theo Quyết định 923/QĐ-TTg: đẩy mạnh đổi mới sáng tạo, "
                  "chuyển đổi số trong các cơ quan, đơn vị và địa phương.",
            criteria="1. Tỷ lệ hồ sơ thủ tục hành chính trực tuyến toàn trình.\n"
                     "2. Số sáng kiến, giải pháp chuyển đổi số được công nhận.\n"
                     "3. Mức độ ứng dụng chữ ký số và dữ liệu dùng chung.",
        ))
        db.session.add(Campaign(
            name="Thi đua thực hiện thắng lợi nhiệm vụ phát triển kinh tế - xã hội năm " + str(today.year),
            kind=CampaignKind.REGULAR,
            status=CampaignStatus.DRAFT,
            launching_authority="UBND tỉnh Thanh Hóa",
            launching_unit=units["38"],
            starts_on=date(today.year, 1, 1),
            ends_on=date(today.year, 12, 31),
            nomination_deadline=date(today.year, 12, 15),
        ))
        db.session.flush()
    return True, listing
