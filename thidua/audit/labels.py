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
