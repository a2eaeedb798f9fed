"""The catalogue as first seeded from the legal texts (../shared/domain.md). Values marked unsure
there carry "(cần xác nhận)" in their note; an admin edits them, and a new version with a new
`effective_from` is added when the law changes. Idempotent: existing codes are left alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from thidua.extensions import db

from .models import (
    AwardCategory,
    AwardLevel,
    AwardType,
    BaseSalary,
    DossierPart,
    LegalBasis,
    QuotaRule,
    VoteBasis,
)

LAW_2022 = "06/2022/QH15"
DECREE_98 = "98/2023/NĐ-CP"
DECREE_152 = "152/2025/NĐ-CP"
DECREE_91 = "91/2017/NĐ-CP"
DECREE_86 = "86/2023/NĐ-CP"
CIRCULAR_01 = "01/2024/TT-BNV"

LEGAL_BASES = [
    (LAW_2022, "Luật Thi đua, khen thưởng", date(2022, 6, 15), date(2024, 1, 1), None, None),
    (DECREE_98, "Nghị định quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng",
     date(2023, 12, 31), date(2024, 1, 1), date(2025, 6, 30),
     "Được thay thế bởi Nghị định 152/2025/NĐ-CP (cần xác nhận)."),
    (DECREE_152, "Nghị định quy định chi tiết Luật Thi đua, khen thưởng (phân cấp, phân quyền)",
     date(2025, 6, 14), date(2025, 7, 1), None, "Ngày hiệu lực cần xác nhận."),
    (DECREE_91, "Nghị định quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng (cũ)",
     date(2017, 7, 31), date(2017, 10, 1), date(2023, 12, 31), "Văn bản cũ; một số tỷ lệ vẫn được dùng tham khảo."),
    (DECREE_86, "Nghị định quy định khung tiêu chuẩn và trình tự, thủ tục xét tặng danh hiệu “Gia đình văn hóa”, "
     "“Thôn, tổ dân phố văn hóa”, “Xã, phường, thị trấn tiêu biểu”", date(2023, 12, 7), date(2024, 1, 30), None, None),
    (CIRCULAR_01, "Thông tư quy định chi tiết thi hành Luật Thi đua, khen thưởng và Nghị định 98/2023/NĐ-CP",
     date(2024, 2, 24), date(2024, 2, 24), None, "Có thông tin đã được thay thế bởi TT 15/2025/TT-BNV (cần xác nhận)."),
]

REPORT = [DossierPart.ACHIEVEMENT_REPORT.value, DossierPart.COUNCIL_MINUTES.value]
REPORT_EVIDENCE = [*REPORT, DossierPart.EVIDENCE.value]
START = date(2024, 1, 1)

# code, name, category, level, individual, collective, household, coefficient, multiplier,
# vote (threshold, basis) or None, required parts, checks, min years between, legal basis, article, note
AWARD_TYPES = [
    ("LDTT", "Lao động tiên tiến", AwardCategory.TITLE, AwardLevel.UNIT, True, False, False, "0.3", "1", None,
     REPORT, ["evaluation_at_least_good", "tenure_6_months", "no_pending_discipline", "not_awarded_same_year"],
     None, LAW_2022, "Điều 24 Luật TĐKT 2022; TT 01/2024/TT-BNV", None),
    ("CSTDCS", "Chiến sĩ thi đua cơ sở", AwardCategory.TITLE, AwardLevel.UNIT, True, False, False, "1.0", "1",
     ("0.667", VoteBasis.ALL_MEMBERS), REPORT,
     ["ldtt_same_year", "excellent_or_initiative", "no_pending_discipline", "not_awarded_same_year"],
     None, LAW_2022, "Điều 23 Luật TĐKT 2022", "Ngưỡng biểu quyết do đơn vị quy định; mặc định 2/3 (cần xác nhận)."),
    ("CSTDT", "Chiến sĩ thi đua cấp tỉnh", AwardCategory.TITLE, AwardLevel.PROVINCE, True, False, False, "3.0", "1",
     ("0.900", VoteBasis.ALL_MEMBERS), REPORT_EVIDENCE,
     ["three_consecutive_cstdcs", "initiative_province", "no_pending_discipline", "not_awarded_same_year"],
     None, LAW_2022, "Điều 22 Luật TĐKT 2022; NĐ 91/2017 Điều 45.8 (bỏ phiếu kín ≥ 90%)", None),
    ("CSTDTQ", "Chiến sĩ thi đua toàn quốc", AwardCategory.TITLE, AwardLevel.CENTRAL, True, False, False, "4.5", "1",
     ("0.900", VoteBasis.ALL_MEMBERS), REPORT_EVIDENCE,
     ["two_consecutive_cstdt", "initiative_national", "no_pending_discipline", "not_awarded_same_year"],
     None, LAW_2022, "Điều 21 Luật TĐKT 2022", None),
    ("TTLDTT", "Tập thể lao động tiên tiến", AwardCategory.TITLE, AwardLevel.UNIT, False, True, False, "0.8", "1",
     None, REPORT, ["members_ldtt_over_half", "not_awarded_same_year"], None, LAW_2022, "Điều 28 Luật TĐKT 2022", None),
    ("TTLDXS", "Tập thể lao động xuất sắc", AwardCategory.TITLE, AwardLevel.PROVINCE, False, True, False, "1.5", "1",
     None, REPORT, ["collective_excellent", "members_all_completed", "members_ldtt_70", "member_cstdcs",
                    "not_awarded_same_year"], None, LAW_2022, "Điều 27 Luật TĐKT 2022", None),
    ("CTD_TINH", "Cờ thi đua của UBND tỉnh", AwardCategory.TITLE, AwardLevel.PROVINCE, False, True, False, "8.0", "1",
     ("0.667", VoteBasis.ALL_MEMBERS), REPORT, ["not_awarded_same_year"], None, LAW_2022, "Điều 26 Luật TĐKT 2022",
     "Đơn vị dẫn đầu cụm, khối thi đua; ngưỡng biểu quyết mặc định (cần xác nhận)."),
    ("CTD_CP", "Cờ thi đua của Chính phủ", AwardCategory.TITLE, AwardLevel.CENTRAL, False, True, False, "12.0", "1",
     ("0.800", VoteBasis.ALL_MEMBERS), REPORT, ["prior_same_year:CTD_TINH", "not_awarded_same_year"], None,
     LAW_2022, "Điều 25 Luật TĐKT 2022", "Ngưỡng 80% theo gợi ý chưa kiểm chứng (cần xác nhận)."),
    ("BK_TTG", "Bằng khen của Thủ tướng Chính phủ", AwardCategory.FORM, AwardLevel.CENTRAL, True, True, False, "3.5",
     "2", ("0.667", VoteBasis.ALL_MEMBERS), REPORT_EVIDENCE, ["prior:BK_TINH", "no_pending_discipline",
                                                                 "not_awarded_same_year"], None,
     LAW_2022, "Điều 73 Luật TĐKT 2022 (cần xác nhận)", "Điều kiện theo quy định cũ (NĐ 91/2017 Điều 38)."),
    ("BK_TINH", "Bằng khen của Chủ tịch UBND tỉnh", AwardCategory.FORM, AwardLevel.PROVINCE, True, True, False,
     "1.0", "2", None, REPORT, ["bk_tinh_individual", "no_pending_discipline", "not_awarded_same_year"], None,
     LAW_2022, "Điều 74 Luật TĐKT 2022", None),
    ("GK_SO", "Giấy khen của Giám đốc Sở, thủ trưởng cơ quan, đơn vị", AwardCategory.FORM, AwardLevel.UNIT,
     True, True, False, "0.3", "2", None, [DossierPart.SHORT_REPORT.value], ["not_awarded_same_year"], None,
     LAW_2022, "Điều 75, 80.1 Luật TĐKT 2022", None),
    ("GK_XA", "Giấy khen của Chủ tịch UBND xã, phường", AwardCategory.FORM, AwardLevel.UNIT, True, True, False,
     "0.15", "2", None, [DossierPart.SHORT_REPORT.value], ["not_awarded_same_year"], None,
     LAW_2022, "Điều 75, 80.3 Luật TĐKT 2022", None),
    ("TDP_VH", "Thôn, tổ dân phố văn hóa", AwardCategory.TITLE, AwardLevel.UNIT, False, True, False, "1.5", "1",
     None, REPORT, ["not_awarded_same_year"], None, DECREE_86, "Nghị định 86/2023/NĐ-CP",
     "Cấp quyết định sau 01/7/2025 cần xác nhận."),
    ("GDVH", "Gia đình văn hóa", AwardCategory.TITLE, AwardLevel.UNIT, False, False, True, None, "1", None,
     [DossierPart.SHORT_REPORT.value], ["not_awarded_same_year"], None, DECREE_86, "Nghị định 86/2023/NĐ-CP", None),
]

# award code, basis code, max ratio, hard block, legal basis, article, note
QUOTAS = [
    ("CSTDCS", "LDTT", "0.150", False, DECREE_91, "Điều 9.3 NĐ 91/2017",
     "Quy định cũ; năm 2024 trở đi chưa thấy quy định chung (cần xác nhận)."),
    ("CSTDT", "CSTDCS", "0.100", False, None, "Thực tiễn cấp tỉnh (Thừa Thiên Huế 2017)",
     "Tỷ lệ của Thanh Hóa chưa xác định (cần xác nhận)."),
]


# Base salary (mức lương cơ sở): amount in VND, effective from, legal reference (domain.md "Prize money").
BASE_SALARIES = [
    (1_490_000, date(2019, 7, 1), "Nghị định 38/2019/NĐ-CP"),
    (1_800_000, date(2023, 7, 1), "Nghị định 24/2023/NĐ-CP"),
    (2_340_000, date(2024, 7, 1), "Nghị định 73/2024/NĐ-CP"),
]


def seed_catalogue() -> int:
    """Create the legal bases, award types and quota rules that are missing. Returns how many
    award types were created."""
    bases = {b.code: b for b in db.session.scalars(sa.select(LegalBasis))}
    for code, title, issued, start, end, note in LEGAL_BASES:
        if code not in bases:
            bases[code] = LegalBasis(code=code, title=title, issued_on=issued, effective_from=start,
                                     effective_to=end, note=note)
            db.session.add(bases[code])
    existing = set(db.session.scalars(sa.select(AwardType.code)))
    created = 0
    for position, row in enumerate(AWARD_TYPES, start=1):
        (code, name, category, level, ind, coll, hh, coef, mult, vote, parts, checks, min_years, basis, article,
         note) = row
        if code in existing:
            continue
        db.session.add(AwardType(
            code=code, name=name, category=category, level=level, for_individual=ind, for_collective=coll,
            for_household=hh, coefficient=Decimal(coef) if coef else None, collective_multiplier=Decimal(mult),
            vote_required=vote is not None, vote_threshold=Decimal(vote[0]) if vote else None,
            vote_basis=vote[1] if vote else VoteBasis.ALL_MEMBERS, required_parts=parts, checks=checks,
            min_years_between=min_years, legal_basis=bases.get(basis), legal_ref=article, effective_from=START,
            position=position, note=note,
        ))
        created += 1
    known = {(q.award_code, q.basis_code) for q in db.session.scalars(sa.select(QuotaRule))}
    for award, basis_code, ratio, hard, basis, article, note in QUOTAS:
        if (award, basis_code) not in known:
            db.session.add(QuotaRule(award_code=award, basis_code=basis_code, max_ratio=Decimal(ratio),
                                     hard_block=hard, legal_basis=bases.get(basis), legal_ref=article,
                                     effective_from=START, note=note))
    known_days = set(db.session.scalars(sa.select(BaseSalary.effective_from)))
    for amount, effective_from, legal_ref in BASE_SALARIES:
        if effective_from not in known_days:
            db.session.add(BaseSalary(amount=amount, effective_from=effective_from, legal_ref=legal_ref))
    db.session.flush()
    return created
