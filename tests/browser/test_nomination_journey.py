"""A dossier's round trip in a real browser: the unit officer files it with its attachments and sends it,
the secretariat returns it with a comment, the unit completes it and sends it again."""

from __future__ import annotations

import re

import pytest

from thidua.demo import DEMO_PASSWORD, TRY_IT_NOMINEE, demo_pdf, demo_year

pytestmark = pytest.mark.browser

UNIT_NAME = "Sở Giáo dục và Đào tạo"
AWARD = "Chiến sĩ thi đua cơ sở"
SUMMARY = "Giáo viên dạy giỏi cấp tỉnh môn Tin học; hướng dẫn 3 học sinh đạt giải cấp tỉnh."
SUMMARY_COMPLETED = (SUMMARY + " Có xác nhận của Hiệu trưởng Trường THPT chuyên Lam Sơn; đã bổ sung số liệu "
                     "học sinh giỏi năm học.")
RETURN_COMMENT = "Đề nghị bổ sung số liệu học sinh giỏi và xác nhận của Hiệu trưởng vào tóm tắt thành tích."


def log_in(page, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()


def choose(select, text: str) -> None:
    """Pick the option of `select` whose visible text ends with `text`."""
    option = select.locator("option", has_text=re.compile(re.escape(text) + r"\s*$"))
    select.select_option(value=option.get_attribute("value"))


def upload(page, part: str, path) -> None:
    """From the dossier page, upload `path` as the required part shown in the row named `part`."""
    from playwright.sync_api import expect

    page.locator("#attachments tr", has_text=part).get_by_role("link", name="Tải lên").click()
    expect(page.get_by_role("heading", name="Đính kèm tài liệu")).to_be_visible()
    expect(page.get_by_label("Thành phần hồ sơ").locator("option:checked")).to_have_text(part)
    page.get_by_label("Tệp", exact=True).set_input_files(path)
    page.get_by_role("button", name="Tải lên", exact=True).click()
    expect(page.locator(".alert-success")).to_have_text(re.compile(f"Đã đính kèm “{re.escape(path.name)}”"))


def test_unit_officer_files_dossier_secretariat_returns_it_and_unit_resubmits(live_server, new_page, tmp_path):
    from playwright.sync_api import expect

    year = demo_year()
    report = tmp_path / f"Báo cáo thành tích - {TRY_IT_NOMINEE}.pdf"
    report.write_bytes(demo_pdf("BAO CAO THANH TICH", TRY_IT_NOMINEE, f"Nam {year}"))
    minutes = tmp_path / "Biên bản họp Hội đồng TĐKT.pdf"
    minutes.write_bytes(demo_pdf("BIEN BAN HOP HOI DONG THI DUA - KHEN THUONG", UNIT_NAME))
    requested: list[str] = []

    # The unit officer, at their desk.
    officer = new_page()
    officer.context.on("request", lambda request: requested.append(request.url))
    log_in(officer, "donvi")
    officer.get_by_role("link", name="Hồ sơ đề nghị", exact=True).click()
    officer.get_by_role("link", name="Lập hồ sơ đề nghị").click()
    expect(officer.get_by_role("heading", name="Lập hồ sơ đề nghị khen thưởng")).to_be_visible()
    choose(officer.get_by_label("Đơn vị đề nghị"), UNIT_NAME)
    officer.get_by_label("Đối tượng đề nghị").select_option(label="Cá nhân")
    # The registry is searched without diacritics.
    officer.get_by_label("Tìm người trong sổ").fill("vu minh khoi")
    officer.get_by_role("button", name="Tìm", exact=True).click()
    officer.get_by_label(TRY_IT_NOMINEE).check()
    choose(officer.get_by_label("Danh hiệu, hình thức khen thưởng đề nghị"), f"{AWARD} (cá nhân)")
    officer.get_by_label("Năm xét").fill(str(year))
    officer.get_by_label("Tóm tắt thành tích").fill(SUMMARY)
    expect(officer.locator("#nomination-form input[name=csrf_token]")).to_have_count(1)  # CSRF protection is on
    officer.get_by_role("button", name="Lưu hồ sơ").click()

    expect(officer.locator(".alert-success")).to_contain_text("Đã lưu hồ sơ (dự thảo)")
    expect(officer.get_by_role("heading", level=1)).to_have_text(TRY_IT_NOMINEE)
    expect(officer.locator(".badge", has_text="Dự thảo")).to_be_visible()
    expect(officer.locator("#missing-parts")).to_have_text(
        "Còn thiếu: Báo cáo thành tích; Biên bản họp Hội đồng TĐKT đơn vị.")
    dossier_url = officer.url
    assert re.search(r"/nominations/\d+$", dossier_url), dossier_url
    # The checklist, computed from the registry before anything is sent.
    checklist = officer.locator("#checklist")
    expect(checklist.get_by_text("Kiểm tra tiêu chuẩn")).to_be_visible()
    expect(checklist.locator("li")).to_have_count(4)
    expect(checklist.locator("li", has_text="Không đạt")).to_have_count(0)
    expect(checklist.locator("li", has_text="Lao động tiên tiến")).to_contain_text(f"Đạt LĐTT năm {year}")
    expect(checklist.locator("li", has_text="Hoàn thành xuất sắc nhiệm vụ")).to_contain_text(
        f"Xếp loại năm {year}: Hoàn thành xuất sắc nhiệm vụ")

    upload(officer, "Báo cáo thành tích", report)
    upload(officer, "Biên bản họp Hội đồng TĐKT đơn vị", minutes)
    expect(officer.locator("#missing-parts")).to_have_count(0)
    expect(officer.locator("#attachments").get_by_role("link", name=report.name)).to_be_visible()
    expect(officer.locator("#attachments").get_by_role("link", name=minutes.name)).to_be_visible()

    officer.get_by_role("button", name="Gửi hồ sơ").click()
    expect(officer.locator(".alert-success")).to_have_text(re.compile("Đã gửi hồ sơ tới Ban Thi đua - Khen thưởng."))
    expect(officer.locator(".badge", has_text="Đã gửi, chờ thẩm định")).to_be_visible()
    expect(officer.locator("#timeline li[data-action=submit]")).to_contain_text("Dự thảo → Đã gửi, chờ thẩm định")
    expect(officer.get_by_role("link", name="Sửa hồ sơ")).to_have_count(0)

    # The secretariat, at another desk: the dossier is in the queue.
    secretariat = new_page()
    secretariat.context.on("request", lambda request: requested.append(request.url))
    log_in(secretariat, "banthidua")
    secretariat.get_by_role("link", name="Chờ thẩm định", exact=True).click()
    expect(secretariat.get_by_role("heading", name=re.compile("Hồ sơ chờ thẩm định"))).to_be_visible()
    row = secretariat.locator("#queue tbody tr", has_text=TRY_IT_NOMINEE)
    expect(row).to_contain_text(UNIT_NAME)
    expect(row).to_contain_text(AWARD)
    row.get_by_role("link", name="Thẩm định").click()
    assert secretariat.url == dossier_url
    expect(secretariat.locator("#checklist li")).to_have_count(4)
    expect(secretariat.locator("#attachments").get_by_role("link", name=report.name)).to_be_visible()
    # A return needs a comment: without one it is refused and nothing changes.
    secretariat.get_by_role("button", name="Trả lại để bổ sung").click()
    expect(secretariat.locator(".alert-danger")).to_contain_text("Vui lòng ghi rõ nội dung cần bổ sung")
    expect(secretariat.locator(".badge", has_text="Đã gửi, chờ thẩm định")).to_be_visible()
    secretariat.get_by_label("Ý kiến, ghi chú").fill(RETURN_COMMENT)
    secretariat.get_by_role("button", name="Trả lại để bổ sung").click()
    expect(secretariat.locator(".alert-success")).to_have_text(re.compile("Đã trả lại hồ sơ cho đơn vị để bổ sung."))
    expect(secretariat.locator(".badge", has_text="Trả lại bổ sung")).to_be_visible()
    secretariat.get_by_role("link", name="Chờ thẩm định", exact=True).click()
    expect(secretariat.locator("#queue tbody tr", has_text=TRY_IT_NOMINEE)).to_have_count(0)

    # The officer finds the dossier returned, with the comment in its timeline.
    officer.get_by_role("link", name="Hồ sơ đề nghị", exact=True).click()
    listed = officer.locator("#nominations tbody tr", has_text=TRY_IT_NOMINEE)
    expect(listed).to_contain_text("Trả lại bổ sung")
    listed.get_by_role("link", name=TRY_IT_NOMINEE).click()
    expect(officer.locator(".badge", has_text="Trả lại bổ sung")).to_be_visible()
    returned = officer.locator("#timeline li[data-action=return]")
    expect(returned).to_contain_text("Trả lại để bổ sung")
    expect(returned).to_contain_text("Lê Thị Hằng")  # the secretariat's officer
    expect(returned).to_contain_text(RETURN_COMMENT)

    officer.get_by_role("link", name="Sửa hồ sơ").click()
    expect(officer.get_by_label("Tóm tắt thành tích")).to_have_value(SUMMARY)
    officer.get_by_label("Tóm tắt thành tích").fill(SUMMARY_COMPLETED)
    officer.get_by_role("button", name="Lưu hồ sơ").click()
    expect(officer.locator(".alert-success")).to_have_text(re.compile("Đã lưu hồ sơ."))
    expect(officer.get_by_text(SUMMARY_COMPLETED)).to_be_visible()
    officer.get_by_label("Ý kiến, ghi chú").fill("Đã bổ sung theo ý kiến của Ban.")
    officer.get_by_role("button", name="Gửi hồ sơ").click()
    expect(officer.locator(".alert-success")).to_have_text(re.compile("Đã gửi hồ sơ tới Ban Thi đua - Khen thưởng."))
    expect(officer.locator(".badge", has_text="Đã gửi, chờ thẩm định")).to_be_visible()
    expect(officer.locator("#timeline li[data-action]")).to_have_count(3)
    expect(officer.locator("#timeline li[data-action=submit]").last).to_contain_text(
        "Trả lại bổ sung → Đã gửi, chờ thẩm định")

    # Back in the secretariat's queue, completed.
    secretariat.reload()
    row = secretariat.locator("#queue tbody tr", has_text=TRY_IT_NOMINEE)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Thẩm định").click()
    expect(secretariat.get_by_text(SUMMARY_COMPLETED)).to_be_visible()
    expect(secretariat.locator("#timeline li[data-action=submit]").last).to_contain_text("Đã bổ sung theo ý kiến của Ban.")

    network = [url for url in requested if not url.startswith(("data:", "blob:", "about:"))]
    assert network, "no request was recorded"
    outside = [url for url in network if not url.startswith(live_server.url + "/")]
    assert outside == [], f"requests left the app: {outside}"
    assert live_server.url.startswith("http://127.0.0.1:")
