"""Vietnamese names for what the audit log stores in English: actions, tables and columns.

A name missing here is shown as stored, so a new domain's entries are readable before it adds
its labels.
"""

from __future__ import annotations

ACTION_LABELS = {
    "create": "Tạo mới",
    "update": "Cập nhật",
    "delete": "Xóa",
    "auth.login": "Đăng nhập",
    "auth.login_failed": "Đăng nhập sai",
    "auth.login_locked": "Đăng nhập khi đang bị khóa",
    "auth.login_inactive": "Đăng nhập bằng tài khoản vô hiệu hóa",
    "auth.locked": "Tạm khóa tài khoản",
    "auth.unlocked": "Mở khóa tài khoản",
    "auth.password_changed": "Đổi mật khẩu",
    "unit.create": "Tạo đơn vị",
    "unit.update": "Sửa đơn vị",
    "unit.end": "Chấm dứt hoạt động đơn vị",
    "unit.succession.add": "Ghi nhận kế thừa đơn vị",
    "unit.succession.remove": "Bỏ quan hệ kế thừa đơn vị",
    "campaign.open": "Phát động phong trào",
    "campaign.close": "Kết thúc phong trào",
    "campaign.summarize": "Tổng kết phong trào",
    "cluster.create": "Tạo cụm, khối thi đua",
    "cluster.member.add": "Thêm đơn vị vào cụm, khối",
    "cluster.member.remove": "Bỏ đơn vị khỏi cụm, khối",
    "award_type.update": "Sửa danh hiệu, hình thức",
    "award_type.new_version": "Thêm phiên bản danh hiệu, hình thức",
    "award_type.end": "Kết thúc hiệu lực phiên bản",
    "legal_basis.create": "Thêm văn bản căn cứ",
    "legal_basis.update": "Sửa văn bản căn cứ",
    "quota_rule.create": "Thêm tỷ lệ khen thưởng",
    "quota_rule.update": "Sửa tỷ lệ khen thưởng",
    "person.create": "Thêm cá nhân",
    "person.update": "Sửa thông tin cá nhân",
    "person.import": "Nhập cá nhân từ Excel",
    "award_record.create": "Thêm khen thưởng vào sổ",
    "award_record.update": "Sửa khen thưởng trong sổ",
    "award_record.delete": "Xóa khen thưởng khỏi sổ",
    "award_record.import": "Nhập khen thưởng từ Excel",
    "evaluation.create": "Thêm kết quả đánh giá",
    "evaluation.update": "Sửa kết quả đánh giá",
    "evaluation.delete": "Xóa kết quả đánh giá",
    "initiative.create": "Thêm sáng kiến",
    "initiative.update": "Sửa sáng kiến",
    "initiative.delete": "Xóa sáng kiến",
    "discipline.create": "Thêm kỷ luật",
    "discipline.update": "Sửa kỷ luật",
    "discipline.delete": "Xóa kỷ luật",
    "nomination.submit": "Gửi hồ sơ đề nghị",
    "nomination.return": "Trả lại hồ sơ để bổ sung",
    "nomination.accept": "Tiếp nhận hồ sơ (đủ điều kiện)",
    "nomination.reject": "Không tiếp nhận hồ sơ",
    "nomination.withdraw": "Rút hồ sơ",
    "nomination.approve": "Hội đồng thông qua",
    "nomination.not_approve": "Hội đồng không thông qua",
    "nomination.award": "Khen thưởng",
    "notice.create": "Tạo thông báo công khai",
    "notice.update": "Sửa thông báo công khai",
    "notice.end": "Kết thúc công khai",
    "notice.comment": "Ý kiến của người dân",
}

# The plain row changes, always offered as filters even before any was recorded.
ROW_ACTIONS = ("create", "update", "delete")

NO_OBJECT = "-"  # object_type of an event that concerns no row (a login with an unknown name)

OBJECT_TYPE_LABELS = {
    NO_OBJECT: "(Không gắn với đối tượng)",
    "users": "Người dùng",
    "role_assignments": "Vai trò của người dùng",
    "units": "Đơn vị",
    "unit_successions": "Kế thừa đơn vị (sáp nhập)",
    "clusters": "Cụm, khối thi đua",
    "cluster_memberships": "Thành viên cụm, khối",
    "campaigns": "Phong trào thi đua",
    "campaign_documents": "Văn bản của phong trào",
    "campaign_registrations": "Đăng ký thi đua",
    "award_types": "Danh hiệu, hình thức khen thưởng",
    "legal_bases": "Văn bản căn cứ",
    "quota_rules": "Tỷ lệ khen thưởng",
    "people": "Cá nhân",
    "award_records": "Sổ khen thưởng",
    "annual_evaluations": "Kết quả đánh giá hằng năm",
    "initiatives": "Sáng kiến, đề tài",
    "discipline_records": "Kỷ luật",
    "submission_batches": "Tờ trình",
    "nominations": "Hồ sơ đề nghị khen thưởng",
    "nomination_attachments": "Tệp đính kèm hồ sơ",
    "nomination_events": "Lịch sử hồ sơ",
    "public_notices": "Thông báo công khai",
    "notice_comments": "Ý kiến về người được công khai",
}

FIELD_LABELS = {
    "username": "Tên đăng nhập",
    "full_name": "Họ và tên",
    "email": "Thư điện tử",
    "password_hash": "Mật khẩu",
    "active": "Đang hoạt động",
    "failed_logins": "Số lần đăng nhập sai",
    "locked_until": "Tạm khóa đến",
    "last_login_at": "Đăng nhập lần cuối",
    "password_changed_at": "Đổi mật khẩu lúc",
    "user_id": "Người dùng",
    "role": "Vai trò",
    "unit_id": "Đơn vị",
    "code": "Mã",
    "name": "Tên",
    "kind": "Loại",
    "parent_id": "Đơn vị cấp trên",
    "valid_from": "Hiệu lực từ ngày",
    "valid_to": "Hiệu lực đến ngày",
    "address": "Địa chỉ",
    "note": "Ghi chú",
    "predecessor_id": "Đơn vị cũ",
    "successor_id": "Đơn vị kế thừa",
    "effective_on": "Ngày hiệu lực",
    "partial": "Kế thừa một phần",
    "description": "Mô tả",
    "cluster_id": "Cụm, khối",
    "joined_on": "Tham gia từ ngày",
    "left_on": "Rời khỏi ngày",
    "status": "Trạng thái",
    "launching_authority": "Cơ quan phát động",
    "launching_unit_id": "Đơn vị phát động",
    "decision_ref": "Văn bản phát động",
    "starts_on": "Bắt đầu",
    "ends_on": "Kết thúc",
    "nomination_deadline": "Hạn gửi hồ sơ đề nghị",
    "goals": "Mục tiêu",
    "criteria": "Nội dung, chỉ tiêu",
    "created_by_id": "Người tạo",
    "campaign_id": "Phong trào",
    "title": "Tiêu đề",
    "original_name": "Tên tệp",
    "content_type": "Kiểu tệp",
    "size": "Dung lượng (byte)",
    "uploaded_by_id": "Người tải lên",
    "commitments": "Nội dung đăng ký",
    "registered_by_id": "Người đăng ký",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_type_label(object_type: str) -> str:
    return OBJECT_TYPE_LABELS.get(object_type, object_type)


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)
