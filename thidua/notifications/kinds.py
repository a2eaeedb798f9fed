"""The kinds of event that notify someone: a code stored on each Notification and e-mail, and its
Vietnamese label (shown in the inbox and on the e-mail preferences page)."""

from __future__ import annotations

KINDS: dict[str, str] = {
    # dossiers: to the nominating unit's officers (submitted: to the secretariat)
    "nomination.submitted": "Hồ sơ đề nghị gửi tới Ban Thi đua - Khen thưởng",
    "nomination.returned": "Hồ sơ bị trả lại để bổ sung",
    "nomination.accepted": "Hồ sơ được tiếp nhận, chờ Hội đồng",
    "nomination.rejected": "Hồ sơ không được tiếp nhận",
    "nomination.approved": "Hội đồng thông qua hồ sơ",
    "nomination.not_approved": "Hội đồng không thông qua hồ sơ",
    "nomination.awarded": "Hồ sơ đã được khen thưởng",
    "nomination.declined": "Cấp trên không khen thưởng hồ sơ",
    # councils: to the members
    "session.scheduled": "Lịch phiên họp Hội đồng",
    "session.opened": "Phiên họp khai mạc, bắt đầu chấm điểm",
    "session.sheets_missing": "Nhắc chấm điểm trước phiên họp",
    # decisions and certificates: to the units concerned, and whoever asked for the print
    "decision.issued": "Quyết định khen thưởng đã ban hành",
    "print_job.done": "Tệp in giấy khen, bằng khen đã sẵn sàng",
    # campaigns: to the units' officers
    "campaign.opened": "Phong trào thi đua được phát động",
    "campaign.deadline": "Nhắc hạn gửi hồ sơ đề nghị",
}


def kind_label(kind: str) -> str:
    return KINDS.get(kind, kind)
