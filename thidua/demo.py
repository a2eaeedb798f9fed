"""Demo data: a realistic slice of Thanh Hóa after the July 2025 reform, one user per role, an open
campaign, and for the nominations work people with their award history, dossiers in several states
(with PDF attachments) and a running public notice. Used by `flask thidua seed-demo` and by the
browser tests. Idempotent."""

from __future__ import annotations

import io
import secrets
import unicodedata
from datetime import date, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from . import storage
from .audit.services import acting_as
from .auth.models import Role, User
from .auth.services import create_user
from .awards import services as decisions
from .awards.models import Decision
from .campaigns.models import Campaign, CampaignKind, CampaignStatus
from .certificates.seed import seed_certificate_templates
from .clusters.models import Cluster, ClusterKind, ClusterMembership
from .extensions import db, utcnow
from .nominations import services as nominations
from .nominations import workflow
from .nominations.models import Nomination
from .notices import services as notices
from .org.models import Unit, UnitKind, UnitSuccession
from .registry import services as registry
from .registry.models import (
    AwardRecord,
    Gender,
    Initiative,
    Person,
    Rating,
    RecognitionLevel,
    SubjectCategory,
)
from .registry.queries import award_type_for
from .rules.models import AwardMethod, DossierPart
from .rules.seed import seed_catalogue
from .text import fold

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
    """Create the demo data that is missing: the catalogue, the units, users and campaigns, then the
    nominations slice (people, their award history, dossiers, a public notice). Each part is skipped
    when it exists, so a second run adds nothing. Everything is attributed to the system. Returns
    (created anything?, [(username, description)])."""
    listing = [(u[0], u[4]) for u in USERS]
    with acting_as(None):
        seed_catalogue()
        seed_certificate_templates()
        created = seed_units_and_users()
        created = seed_nominations() or created
        created = seed_decisions() or created
        created = seed_good_models() or created
    return created, listing


def seed_units_and_users() -> bool:
    """Units, lineage, clusters, one user per role and two campaigns, unless the province unit exists.
    Returns whether it created them."""
    if db.session.scalar(sa.select(Unit.id).where(Unit.code == "38")) is not None:
        return False
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
    for username, full_name, role, unit_code, _ in USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)):
            continue
        create_user(username=username, full_name=full_name, password=DEMO_PASSWORD, must_change=False,
                    roles=[(role, units[unit_code].id if unit_code else None)])
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
    return True


# --- the nominations slice -------------------------------------------------------------------------
# People of Sở Giáo dục và Đào tạo, its schools and phường Hạc Thành with their award history, and a
# few dossiers: one that passes the CSTĐ cấp tỉnh checklist, one that fails it (a gap year), one
# returned for documents, BK_TINH candidates on public notice, a collective draft. Years are counted
# from `demo_year()` so that the checklists keep their outcome whatever the date.

F, M = Gender.FEMALE, Gender.MALE
LEADER_DEPT, LEADER, WORKER = (SubjectCategory.LEADER_DEPARTMENT, SubjectCategory.OTHER_LEADER,
                               SubjectCategory.DIRECT_WORKER)
RATINGS = {"X": Rating.EXCELLENT, "T": Rating.GOOD, "H": Rating.COMPLETED}

# (full name, gender, birth date, position, unit code, subject category, hired on,
#  ratings of the years Y-2, Y-1, Y (X: hoàn thành xuất sắc, T: hoàn thành tốt, H: hoàn thành, -: none),
#  titles received: {award code: [years, as offsets from Y]})
PEOPLE = [
    ("Lê Văn Dũng", M, date(1972, 3, 14), "Phó Giám đốc Sở", "38.SGDDT", LEADER_DEPT, date(1995, 9, 1), "XXX",
     {"LDTT": [-2, -1, 0], "CSTDCS": [-2, -1], "BK_TINH": [-3]}),
    ("Phạm Thị Thu Hà", F, date(1978, 11, 2), "Trưởng phòng Giáo dục Trung học", "38.SGDDT", LEADER,
     date(2001, 8, 15), "XTX", {"LDTT": [-2, -1, 0]}),
    ("Nguyễn Thị Lan", F, date(1990, 6, 25), "Chuyên viên Văn phòng Sở", "38.SGDDT", WORKER, date(2014, 3, 1),
     "TTT", {"LDTT": [-2, -1, 0]}),
    ("Trịnh Thị Hương", F, date(1970, 1, 19), "Hiệu trưởng", "38.SGDDT.THPTLS", LEADER, date(1993, 9, 5), "XXX",
     {"LDTT": [-2, -1, 0], "CSTDCS": [-1]}),
    ("Lê Thị Minh Nguyệt", F, date(1982, 4, 9), "Tổ trưởng tổ Toán - Tin, giáo viên Toán", "38.SGDDT.THPTLS",
     WORKER, date(2005, 9, 1), "XXX", {"LDTT": [-2, -1, 0], "CSTDCS": [-2, -1, 0], "BK_TINH": [-1]}),
    ("Hoàng Văn Đức", M, date(1985, 8, 30), "Giáo viên Vật lý", "38.SGDDT.THPTLS", WORKER, date(2009, 9, 1), "XTX",
     {"LDTT": [-2, -1, 0], "CSTDCS": [-2, 0]}),
    ("Vũ Minh Khôi", M, date(1993, 12, 12), "Giáo viên Tin học", "38.SGDDT.THPTLS", WORKER, date(2017, 8, 20), "TTX",
     {"LDTT": [-1, 0]}),
    ("Đỗ Thị Ngọc Ánh", F, date(1988, 2, 27), "Giáo viên Ngữ văn", "38.SGDDT.THPTLS", WORKER, date(2011, 9, 1), "TTT",
     {"LDTT": [-2, -1, 0]}),
    ("Nguyễn Văn Thắng", M, date(1974, 7, 7), "Hiệu trưởng", "38.SGDDT.THPTHR", LEADER, date(1997, 9, 1), "XTX",
     {"LDTT": [-2, -1, 0]}),
    ("Lê Thị Thanh Tâm", F, date(1986, 10, 16), "Giáo viên Hóa học", "38.SGDDT.THPTHR", WORKER, date(2010, 9, 1),
     "TXX", {"LDTT": [-2, -1, 0], "CSTDCS": [-1, 0]}),
    ("Bùi Quang Huy", M, date(1991, 5, 3), "Giáo viên Giáo dục thể chất", "38.SGDDT.THPTHR", WORKER,
     date(2016, 9, 1), "TTH", {"LDTT": [-2, -1]}),
    ("Mai Thị Phương", F, date(1989, 9, 21), "Giáo viên Tiếng Anh", "38.SGDDT.THPTDDT", WORKER, date(2013, 9, 1),
     "TXT", {"LDTT": [-2, -1, 0]}),
    ("Đinh Văn Long", M, date(1976, 12, 1), "Phó Hiệu trưởng", "38.SGDDT.THPTDDT", LEADER, date(1999, 9, 1), "TT-",
     {"LDTT": [-2, -1]}),
    ("Lê Văn Hải", M, date(1975, 4, 28), "Chủ tịch UBND phường", "38.HACTHANH", LEADER, date(1998, 7, 1), "XTX",
     {"LDTT": [-2, -1, 0]}),
    ("Đào Minh Quân", M, date(1983, 1, 5), "Trưởng phòng Kinh tế, Hạ tầng và Đô thị", "38.HACTHANH", LEADER,
     date(2008, 2, 1), "TTT", {"LDTT": [-2, -1, 0]}),
    ("Hà Thị Yến", F, date(1987, 3, 8), "Phó Trưởng phòng Văn hóa - Xã hội", "38.HACTHANH", LEADER,
     date(2012, 10, 1), "TXT", {"LDTT": [-2, -1, 0], "CSTDCS": [-1]}),
    ("Nguyễn Thị Thu Trang", F, date(1994, 8, 14), "Công chức Văn phòng HĐND và UBND phường", "38.HACTHANH",
     WORKER, date(2019, 5, 2), "TTT", {"LDTT": [-1, 0]}),
    ("Phạm Thị Kim Oanh", F, date(1979, 5, 19), "Hiệu trưởng", "38.HACTHANH.TH1", LEADER, date(2000, 9, 1), "TXX",
     {"LDTT": [-2, -1, 0], "CSTDCS": [-2]}),
    ("Cao Văn Tiến", M, date(1984, 11, 11), "Giáo viên", "38.HACTHANH.TH1", WORKER, date(2007, 9, 1), "TTT",
     {"LDTT": [-2, -1, 0]}),
    ("Lương Thị Bích", F, date(1992, 2, 2), "Giáo viên", "38.HACTHANH.TH1", WORKER, date(2015, 9, 1), "TTT",
     {"LDTT": [-1, 0]}),
    ("Tống Thị Hạnh", F, date(1995, 6, 1), "Giáo viên - Tổng phụ trách Đội", "38.HACTHANH.TH1", WORKER,
     date(2020, 9, 1), "THT", {"LDTT": [-2, 0]}),
]

# (person, title, recognition level, recognised on (offset from Y, month, day) or None when the
#  record lacks the date, decision, (award code, offset) of the award it was the basis of, or None)
INITIATIVES = [
    ("Lê Thị Minh Nguyệt", "Ứng dụng học liệu số trong dạy học chuyên đề Hình học không gian lớp 11",
     RecognitionLevel.UNIT, (-2, 5, 20), "215/QĐ-SGDĐT", ("CSTDCS", -2)),
    ("Lê Thị Minh Nguyệt", "Xây dựng ngân hàng câu hỏi trực tuyến bồi dưỡng học sinh giỏi Toán cấp tỉnh",
     RecognitionLevel.PROVINCE, (-1, 11, 10), "1845/QĐ-HĐSK", None),
    ("Hoàng Văn Đức", "Thiết kế thí nghiệm Vật lý ảo hỗ trợ học sinh tự học ở nhà",
     RecognitionLevel.PROVINCE, (0, 10, 15), "1620/QĐ-HĐSK", None),
    ("Đỗ Thị Ngọc Ánh", "Đổi mới sinh hoạt câu lạc bộ văn học theo hướng phát triển năng lực đọc",
     RecognitionLevel.UNIT, None, None, None),
    ("Lê Thị Thanh Tâm", "Dạy học dự án chủ đề Hóa học và môi trường địa phương",
     RecognitionLevel.UNIT, (-1, 5, 25), "230/QĐ-SGDĐT", ("CSTDCS", -1)),
    ("Phạm Thị Kim Oanh", "Giải pháp chuyển đổi số trong quản lý hồ sơ học sinh tiểu học",
     RecognitionLevel.UNIT, (-1, 6, 12), "76/QĐ-UBND", None),
    ("Phạm Thị Kim Oanh", "Tổ chức hoạt động trải nghiệm “Em yêu Hạc Thành” cho học sinh tiểu học",
     RecognitionLevel.UNIT, (0, 6, 10), "112/QĐ-UBND", None),
]

# Collective history: (unit code, ratings of Y-2, Y-1, Y, titles {code: [offsets]})
COLLECTIVES = [
    ("38.SGDDT.THPTLS", "XXX", {"TTLDXS": [-2, -1], "CTD_TINH": [-1]}),
    ("38.SGDDT.THPTHR", "XTX", {"TTLDTT": [-2, -1]}),
    ("38.HACTHANH.TH1", "TXT", {"TTLDTT": [-2]}),
]

PROVINCIAL = {"BK_TINH", "CSTDT", "CTD_TINH", "TTLDXS"}
# Unit code → (issuer of its own awards, decision sign); schools of the department get their CSTĐCS
# from the department's director.
ISSUERS = {
    "38.SGDDT": ("Giám đốc Sở Giáo dục và Đào tạo", "SGDĐT"),
    "38.SGDDT.THPTLS": ("Hiệu trưởng Trường THPT chuyên Lam Sơn", "THPTCLS"),
    "38.SGDDT.THPTHR": ("Hiệu trưởng Trường THPT Hàm Rồng", "THPTHR"),
    "38.SGDDT.THPTDDT": ("Hiệu trưởng Trường THPT Đào Duy Từ", "THPTĐDT"),
    "38.HACTHANH.TH1": ("Hiệu trưởng Trường Tiểu học Điện Biên", "THĐB"),
}
# Dossier summaries (what the unit writes), by nominee.
SUMMARIES = {
    "Lê Thị Minh Nguyệt": "Ba năm liền đạt danh hiệu Chiến sĩ thi đua cơ sở. Bồi dưỡng đội tuyển học sinh giỏi "
                          "Toán đạt 2 giải Nhất, 3 giải Nhì cấp tỉnh và 1 giải Ba quốc gia. Sáng kiến “Xây dựng ngân "
                          "hàng câu hỏi trực tuyến bồi dưỡng học sinh giỏi Toán cấp tỉnh” được công nhận có phạm vi "
                          "ảnh hưởng cấp tỉnh, đang được áp dụng tại 28 trường THPT.",
    "Hoàng Văn Đức": "Giáo viên dạy giỏi cấp tỉnh; sáng kiến thí nghiệm Vật lý ảo được công nhận cấp tỉnh. "
                     "Tỷ lệ học sinh đạt điểm khá, giỏi môn Vật lý trong kỳ thi tốt nghiệp THPT đạt 92%.",
    "Đỗ Thị Ngọc Ánh": "Chủ nhiệm lớp 11 Văn đạt danh hiệu lớp tiên tiến xuất sắc; hướng dẫn 4 học sinh đạt giải "
                       "cấp tỉnh môn Ngữ văn; có sáng kiến đổi mới sinh hoạt câu lạc bộ văn học.",
    "Lê Thị Thanh Tâm": "Hai năm liền đạt danh hiệu Chiến sĩ thi đua cơ sở; hướng dẫn học sinh đạt giải Nhì cuộc thi "
                        "Khoa học kỹ thuật cấp tỉnh; tích cực xây dựng học liệu số môn Hóa học.",
    "Phạm Thị Kim Oanh": "Hai năm liền hoàn thành xuất sắc nhiệm vụ; có 02 sáng kiến được công nhận (chuyển đổi số "
                         "trong quản lý hồ sơ học sinh; hoạt động trải nghiệm “Em yêu Hạc Thành”). Nhà trường giữ "
                         "vững chuẩn quốc gia mức độ 2.",
    "Trường Tiểu học Điện Biên": "Tập thể hoàn thành tốt nhiệm vụ năm học; 100% giáo viên đạt chuẩn nghề nghiệp, "
                                 "trên 70% cán bộ, giáo viên đạt danh hiệu Lao động tiên tiến.",
}
FILE_NAMES = {DossierPart.ACHIEVEMENT_REPORT: "Báo cáo thành tích", DossierPart.COUNCIL_MINUTES: "Biên bản họp Hội đồng",
              DossierPart.EVIDENCE: "Quyết định công nhận sáng kiến"}
RETURN_NOTE = ("Đề nghị đơn vị bổ sung quyết định công nhận sáng kiến (ghi rõ ngày công nhận) và báo cáo thành tích "
               "có xác nhận của Hiệu trưởng.")
# The person left free for a first try: nominating them for CSTĐCS of demo_year() passes the checklist.
TRY_IT_NOMINEE = "Vũ Minh Khôi"


def demo_year(today: date | None = None) -> int:
    """The year of the demo dossiers: the last whole year, whose yearly awards are decided."""
    return (today or date.today()).year - 1


def _ascii(text: str) -> str:
    """`text` without Vietnamese marks (đ → d): the PDF base fonts have no Vietnamese letters."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def demo_pdf(*lines: str, pad_kb: int = 0) -> bytes:
    """A small valid one-page A4 PDF showing `lines` (without diacritics) in Helvetica; with `pad_kb`, padded
    with an incompressible stream to about that many KB (the size of a scanned one-page report)."""
    text = ["BT", "/F1 13 Tf", "72 790 Td", "20 TL"]
    for line in lines:
        escaped = _ascii(line).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) '")
    text.append("ET")
    stream = "\n".join(text).encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    if pad_kb:
        padding = secrets.token_bytes(max(0, pad_kb * 1024 - 1200))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(padding), padding))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class _History:
    """Writes the gold-book lines of the slice through the registry service, one decision number per
    issuer, award and year (as a real decision lists everyone it awards)."""

    def __init__(self, year: int):
        self.year = year
        self.decisions: dict[tuple[str, str, int], str] = {}

    def issuer(self, code: str, unit_code: str, year: int) -> tuple[str, str]:
        """(who signs, the decision's sign): the province for provincial awards, the head of the unit for
        LĐTT, and above that the department's director or the ward's chairman."""
        if code in PROVINCIAL:
            return "Chủ tịch UBND tỉnh Thanh Hóa", "UBND"
        if code == "LDTT" and unit_code in ISSUERS:
            return ISSUERS[unit_code]
        if unit_code.startswith("38.HACTHANH"):
            # Hạc Thành exists from 1 July 2025; earlier awards came from the former city.
            if date(year, 12, 20) < REFORM_DAY:
                return "Chủ tịch UBND thành phố Thanh Hóa", "UBND"
            return "Chủ tịch UBND phường Hạc Thành", "UBND"
        return ISSUERS["38.SGDDT"]

    def add(self, code: str, offset: int, *, unit_code: str, person: Person | None = None,
            unit: Unit | None = None) -> AwardRecord:
        year = self.year + offset
        issuer, sign = self.issuer(code, unit_code, year)
        key = (issuer, code, year)
        if key not in self.decisions:
            base = 1500 if code in PROVINCIAL else 120
            self.decisions[key] = f"{base + 37 * len(self.decisions) + (year % 100)}/QĐ-{sign}"
        provincial = code in PROVINCIAL
        return registry.add_award_record(
            person=person, unit=unit, award_code=code, year=year, decision_number=self.decisions[key],
            decision_date=date(year, 12, 28 if provincial else 20), issuer=issuer,
            gold_book_number=f"{year}-{len(self.decisions):04d}" if provincial else None,
        )


def _evaluate_years(ratings: str, year: int, **subject) -> None:
    for offset, letter in zip((-2, -1, 0), ratings, strict=True):
        if letter in RATINGS:
            registry.add_evaluation(year=year + offset, rating=RATINGS[letter], **subject)


def _attach(nomination: Nomination, part: DossierPart, file_name: str, *lines: str) -> None:
    """Store a generated PDF through the storage module (checked like any upload) and attach it."""
    data = demo_pdf(part.label.upper(), *lines)
    upload = storage.save_upload(FileStorage(io.BytesIO(data), filename=file_name, content_type="application/pdf"),
                                 kinds={"pdf"})
    nominations.add_attachment(nomination, part=part, upload=upload, actor=None)


def _dossier(unit: Unit, nominee: nominations.Nominee, code: str, year: int, parts: list[DossierPart]) -> Nomination:
    name = nominee.unit.name if nominee.unit is not None else nominee.person.full_name
    nomination = nominations.create_nomination(
        unit=unit, nominee=nominee, award_type=award_type_for(code, year), method=AwardMethod.REGULAR, year=year,
        achievement_summary=SUMMARIES[name], actor=None)
    for part in parts:
        _attach(nomination, part, f"{FILE_NAMES[part]} - {name}.pdf", name, unit.name,
                f"Đề nghị: {nomination.award_type.name} năm {year}")
    return nomination


def seed_nominations() -> bool:
    """People, their history, dossiers and a public notice, unless the first demo person exists (or the
    demo units are missing). Returns whether it created them."""
    name, _, born, *_ = PEOPLE[0]
    if db.session.scalar(sa.select(Person.id).where(Person.name_folded == fold(name), Person.birth_date == born)):
        return False
    codes = {p[4] for p in PEOPLE} | {c[0] for c in COLLECTIVES}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}
    if len(units) != len(codes):
        return False
    year = demo_year()
    history = _History(year)
    people: dict[str, Person] = {}
    records: dict[tuple[str, str, int], AwardRecord] = {}
    for full_name, gender, birth, position, unit_code, subject, hired, ratings, titles in PEOPLE:
        person = registry.create_person(full_name=full_name, gender=gender, birth_date=birth, position=position,
                                        unit_id=units[unit_code].id, subject_category=subject, hired_on=hired)
        people[full_name] = person
        _evaluate_years(ratings, year, person=person)
        for code, offsets in titles.items():
            for offset in offsets:
                records[full_name, code, offset] = history.add(code, offset, unit_code=unit_code, person=person)
    for full_name, title, level, recognised, decision, used_by in INITIATIVES:
        registry.add_initiative(
            people[full_name], title=title, level=level, decision_ref=decision,
            recognised_on=date(year + recognised[0], recognised[1], recognised[2]) if recognised else None,
            used_by_award_id=records[full_name, *used_by].id if used_by else None)
    for unit_code, ratings, titles in COLLECTIVES:
        _evaluate_years(ratings, year, unit=units[unit_code])
        for code, offsets in titles.items():
            for offset in offsets:
                history.add(code, offset, unit_code=unit_code, unit=units[unit_code])

    department, ward = units["38.SGDDT"], units["38.HACTHANH"]
    report, minutes, evidence = DossierPart.ACHIEVEMENT_REPORT, DossierPart.COUNCIL_MINUTES, DossierPart.EVIDENCE

    def person(full_name: str) -> nominations.Nominee:
        return nominations.Nominee(person=people[full_name])

    # CSTĐ cấp tỉnh: three CSTĐCS in a row and a provincial initiative — every check passes; submitted.
    nguyet = _dossier(department, person("Lê Thị Minh Nguyệt"), "CSTDT", year, [report, minutes, evidence])
    initiative = db.session.scalar(sa.select(Initiative).where(Initiative.person_id == people["Lê Thị Minh Nguyệt"].id,
                                                               Initiative.level == RecognitionLevel.PROVINCE))
    nominations.link_initiative(nguyet, initiative)
    nominations.submit(nguyet, actor=None)
    # CSTĐ cấp tỉnh with a gap year (no CSTĐCS in Y-1): the checklist fails; still a draft.
    _dossier(department, person("Hoàng Văn Đức"), "CSTDT", year, [report])
    # CSTĐCS whose initiative has no recognition date: sent, then returned for documents.
    anh = _dossier(department, person("Đỗ Thị Ngọc Ánh"), "CSTDCS", year, [report, minutes])
    nominations.submit(anh, actor=None)
    workflow.transition(anh, "return", actor=None, note=RETURN_NOTE)
    # Bằng khen của Chủ tịch UBND tỉnh: one candidate per route of the rule, both on public notice.
    tam = _dossier(department, person("Lê Thị Thanh Tâm"), "BK_TINH", year, [report, minutes])
    nominations.submit(tam, actor=None)
    oanh = _dossier(ward, person("Phạm Thị Kim Oanh"), "BK_TINH", year, [report, minutes])
    nominations.submit(oanh, actor=None)
    # A collective title, drafted by the ward for its primary school.
    _dossier(ward, nominations.Nominee(unit=units["38.HACTHANH.TH1"]), "TTLDTT", year, [])

    today = notices.local_today()
    notice = notices.create_notice(
        title=f"Công khai danh sách đề nghị tặng Bằng khen của Chủ tịch UBND tỉnh năm {year}",
        award_type=award_type_for("BK_TINH", year), starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=7), nomination_ids=[tam.id, oanh.id], actor=None)
    # 192.0.2.0/24 is reserved for documentation: the demo comment never counts against a real address.
    notices.add_comment(notice, tam, body="Cô Tâm nhiệt tình, tận tâm với học sinh; đề nghị xem xét khen thưởng.",
                        author_name="Phụ huynh học sinh lớp 11A2", ip="192.0.2.10",
                        now=utcnow() - timedelta(days=1), today=today)
    return True


# --- an issued decision ----------------------------------------------------------------------------
# Bằng khen của Chủ tịch UBND tỉnh for dossiers the council approved (two teachers, a school and a ward
# officer), issued with gold-book numbers and verification codes, so certificates can be printed and
# verified from the start. The BK_TINH dossiers on public notice stay submitted, for the council to try.

DEMO_DECISION_NUMBER = "215/QĐ-UBND"
DEMO_DECISION_SIGNER = "Đỗ Minh Tuấn"
# (nominee: person name or unit code, nominating unit code, achievement summary)
DECISION_DOSSIERS = [
    ("38.SGDDT.THPTLS", "38.SGDDT", "Tập thể dẫn đầu phong trào thi đua ngành Giáo dục; 12 giải học sinh giỏi quốc gia."),
    ("Trịnh Thị Hương", "38.SGDDT", "Có thành tích xuất sắc trong lãnh đạo nhà trường, năm học 2024-2025."),
    ("Nguyễn Văn Thắng", "38.SGDDT", "Có thành tích xuất sắc trong công tác quản lý giáo dục, năm học 2024-2025."),
    ("Hà Thị Yến", "38.HACTHANH", "Có thành tích xuất sắc trong xây dựng đời sống văn hóa ở khu dân cư."),
]


def seed_decisions() -> bool:
    """Approved BK_TINH dossiers and the decision awarding them, unless the demo decision exists (or the
    demo people are missing). Returns whether it created them."""
    province = db.session.scalar(sa.select(Unit).where(Unit.code == "38"))
    if province is None or db.session.scalar(sa.select(Decision.id).where(
            Decision.issuer_unit_id == province.id, Decision.number == DEMO_DECISION_NUMBER)) is not None:
        return False
    names = [n for n, *_ in DECISION_DOSSIERS if not n.startswith("38")]
    people = {p.full_name: p for p in db.session.scalars(sa.select(Person).where(
        Person.name_folded.in_([fold(n) for n in names])))}
    if len(people) != len(names):
        return False
    year = demo_year()
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.like("38%")))}
    dossiers = []
    for nominee, unit_code, summary in DECISION_DOSSIERS:
        who = (nominations.Nominee(unit=units[nominee]) if nominee.startswith("38")
               else nominations.Nominee(person=people[nominee]))
        dossier = nominations.create_nomination(
            unit=units[unit_code], nominee=who, award_type=award_type_for("BK_TINH", year),
            method=AwardMethod.REGULAR, year=year, achievement_summary=summary, actor=None)
        for action in ("submit", "accept", "approve"):
            workflow.transition(dossier, action, actor=None)
        dossiers.append(dossier)
    decision = decisions.create_draft(
        award_type=award_type_for("BK_TINH", year), issuer_unit=province, method=AwardMethod.REGULAR, year=year,
        nomination_ids=[d.id for d in dossiers],
        achievement_default=f"Đã có thành tích xuất sắc trong thực hiện nhiệm vụ năm {year}.")
    today = decisions.local_today()
    decisions.issue_decision(decision, number=DEMO_DECISION_NUMBER, signed_on=min(today, date(year + 1, 1, 20)),
                             signer_name=DEMO_DECISION_SIGNER, signer_title="CHỦ TỊCH", actor=None)
    return True


# --- good models (mô hình hay) ---------------------------------------------------------------------
# (title, field, unit code, status, featured, summary, results, replicating unit codes)
GOOD_MODELS = [
    ("Mô hình “Trường học số” – sổ liên lạc và học bạ điện tử", "education", "38.SGDDT.THPTLS", "recognised", True,
     "Toàn bộ sổ liên lạc, học bạ và thông báo của nhà trường chuyển sang môi trường số.",
     "100% phụ huynh nhận thông báo qua ứng dụng; giảm 80% giấy tờ in ấn.", ["38.SGDDT.THPTHR"]),
    ("Cách làm “Một cửa không chờ” ở phường Hạc Thành", "administration", "38.HACTHANH", "recognised", True,
     "Tiếp nhận và trả kết quả hồ sơ hành chính trong ngày, hẹn giờ qua tin nhắn.",
     "Thời gian chờ trung bình giảm từ 45 xuống 10 phút.", ["38.HAMRONG", "38.NGUYETVIEN"]),
    ("Mô hình “Tổ tự quản vệ sinh môi trường khu dân cư”", "environment", "38.HAMRONG", "recognised", False,
     "Các tổ dân phố tự quản thu gom, phân loại rác tại nguồn.", "Khối lượng rác chôn lấp giảm 30%.", []),
    ("Mô hình “Bệnh viện không giấy tờ”", "health", "38.SYT.BVDK", "proposed", False,
     "Bệnh án điện tử và thanh toán không dùng tiền mặt.", None, []),
]


def _demo_photo(text_color: tuple[int, int, int]) -> bytes:
    """A small JPEG for the showcase (generated, so no image ships with the code)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (183, 28, 28))
    draw = ImageDraw.Draw(image)
    draw.rectangle((24, 24, 456, 296), outline=text_color, width=6)
    draw.ellipse((180, 100, 300, 220), fill=text_color)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def seed_good_models() -> bool:
    """A few good models (two recognised and featured, with a photo and replications), unless the first
    demo model exists (or the demo units are missing). Returns whether it created them."""
    from .showcase import services as showcase
    from .showcase.models import GoodModel

    if db.session.scalar(sa.select(GoodModel.id).where(GoodModel.title_folded == fold(GOOD_MODELS[0][0]))):
        return False
    codes = {m[2] for m in GOOD_MODELS} | {c for m in GOOD_MODELS for c in m[7]}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}
    if len(units) != len(codes):
        return False
    today = date.today()
    for title, field, unit_code, status, featured, summary, results, replicas in GOOD_MODELS:
        model = showcase.create_model(title=title, field=field, unit=units[unit_code], summary=summary,
                                      description=f"{summary}\nCác bước: khảo sát, thí điểm, đánh giá, nhân rộng.",
                                      results=results, started_on=today - timedelta(days=400))
        if status != "recognised":
            continue
        showcase.recognise(model, recognised_on=today - timedelta(days=60),
                           recognition_ref=f"{120 + model.id}/QĐ-UBND công nhận mô hình hay")
        if featured:
            data = _demo_photo((255, 224, 130))
            upload = storage.save_upload(FileStorage(io.BytesIO(data), filename="anh-mo-hinh.jpg"),
                                         kinds={"jpeg"})
            showcase.add_file(model, upload=upload, caption="Hoạt động của mô hình")
            showcase.set_featured(model, True)
        for code in replicas:
            showcase.replicate(model, unit=units[code], adopted_on=today - timedelta(days=20),
                               result="Áp dụng thành công, được người dân đồng tình.")
    return True
