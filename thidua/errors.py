"""Error pages in Vietnamese: 400 (incl. a missing or wrong CSRF token), 403, 404, 413, 500."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from .extensions import db, login_manager

MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Máy chủ không hiểu yêu cầu này. Vui lòng tải lại trang và thử lại."),
    403: ("Không có quyền truy cập", "Tài khoản của bạn không được phép thực hiện thao tác này."),
    404: ("Không tìm thấy", "Trang hoặc dữ liệu bạn tìm không tồn tại hoặc đã bị xóa."),
    405: ("Thao tác không được hỗ trợ", "Trang này không nhận kiểu yêu cầu vừa gửi."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá dung lượng cho phép."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Dữ liệu chưa được lưu; vui lòng thử lại sau hoặc báo quản trị viên."),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã bảo mật CSRF). "
                                 "Vui lòng tải lại trang và gửi lại.")

    @app.errorhandler(401)
    def unauthorized(error):
        return login_manager.unauthorized()

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
