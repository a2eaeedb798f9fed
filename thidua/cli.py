"""Command line: `flask thidua create-admin`, `flask thidua seed-demo`, `flask thidua worker`,
`flask thidua reminders`, `flask thidua backup`, `flask thidua restore`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db

thidua_cli = AppGroup("thidua", help="Quản trị hệ thống thidua.")


@thidua_cli.command("create-admin")
@click.option("--username", prompt="Tên đăng nhập")
@click.option("--full-name", prompt="Họ và tên")
@click.option("--email", default="", help="Thư điện tử (không bắt buộc).")
@click.password_option("--password", prompt="Mật khẩu", confirmation_prompt="Nhập lại mật khẩu")
def create_admin(username: str, full_name: str, email: str, password: str) -> None:
    """Create an administrator account."""
    from .audit.services import acting_as
    from .auth.models import Role
    from .auth.services import AccountError, create_user

    with acting_as(None):
        try:
            user = create_user(username=username, full_name=full_name, email=email or None, password=password,
                               roles=[(Role.ADMIN, None)], must_change=False)
        except AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"Đã tạo quản trị viên {user.username}.")


@thidua_cli.command("seed-catalogue")
def seed_catalogue_command() -> None:
    """Load the catalogue of titles and forms, legal bases, quota rules, base salaries and the default
    certificate templates. Safe to re-run."""
    from .audit.services import acting_as
    from .certificates.seed import seed_certificate_templates
    from .rules.seed import seed_catalogue

    with acting_as(None):
        created = seed_catalogue()
        seed_certificate_templates()
    db.session.commit()
    click.echo(f"Đã thêm {created} danh hiệu, hình thức khen thưởng vào danh mục.")


@thidua_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load demo data (Thanh Hóa units, one user per role, an open campaign). Safe to re-run."""
    from .demo import DEMO_PASSWORD, seed_demo

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Không nạp dữ liệu mẫu khi THIDUA_ENV=production.")
    created, users = seed_demo()
    db.session.commit()
    click.echo("Đã nạp dữ liệu mẫu." if created else "Dữ liệu mẫu đã có sẵn; không nạp lại.")
    click.echo(f"Tài khoản thử (mật khẩu chung: {DEMO_PASSWORD}):")
    for username, description in users:
        click.echo(f"  {username:<12} {description}")



@thidua_cli.command("worker")
@click.option("--workers", default=1, show_default=True, help="Số việc chạy nền xử lý cùng lúc.")
def worker_command(workers: int) -> None:
    """Run the background-job consumer (certificate batches, e-mail, the daily run at 07:00) until Ctrl+C /
    SIGTERM."""
    from .jobs import queue_description, run_consumer

    click.echo(f"Đang xử lý việc chạy nền từ {queue_description(current_app)} (Ctrl+C để dừng).")
    run_consumer(current_app._get_current_object(), workers=workers)

@thidua_cli.command("reminders")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Ngày chạy (YYYY-MM-DD); mặc định là hôm nay.")
def reminders_command(day) -> None:
    """Run what is due on a day: deadline and score-sheet reminders, the purge of old notifications and
    the daily digest (for cron or a systemd timer; safe to run twice, nothing is sent twice)."""
    from .notifications.reminders import run_daily

    run = run_daily(day.date() if day else None)
    for line in run.lines():
        click.echo(line)
    if run.errors:
        raise click.ClickException("Có bước chưa chạy được (xem nhật ký).")


@thidua_cli.command("backup")
@click.option("--output", "output_dir", type=click.Path(file_okay=False), default=None,
              help="Thư mục ghi bản sao lưu; mặc định là <instance>/backups.")
def backup_command(output_dir: str | None) -> None:
    """Write one archive thidua-backup-<UTC timestamp>.tar.gz holding the database and the uploaded files."""
    from pathlib import Path

    from .backup import BackupError, create_backup

    app = current_app._get_current_object()
    folder = Path(output_dir) if output_dir else Path(app.config["INSTANCE_PATH"]) / "backups"
    try:
        archive = create_backup(app, folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Đã sao lưu vào {archive}")


@thidua_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Không hỏi lại trước khi ghi đè.")
def restore_command(archive: str, yes: bool) -> None:
    """Restore the database and the uploaded files from an archive written by `flask thidua backup`
    (stop the web server and the workers first)."""
    from pathlib import Path

    from .backup import BackupError, check_compatible, read_manifest, restore_backup

    app = current_app._get_current_object()
    try:
        manifest = read_manifest(Path(archive))
        check_compatible(app, manifest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Bản sao lưu lúc {manifest.get('created_at')}: cơ sở dữ liệu {manifest['database_kind']}, "
               f"phiên bản {manifest.get('alembic_revision')}, {manifest['uploads']['count']} tệp đính kèm.")
    if not yes and not click.confirm("Toàn bộ dữ liệu và tệp đính kèm hiện có sẽ bị thay thế. Tiếp tục?"):
        raise click.ClickException("Đã hủy, không thay đổi gì.")
    try:
        report = restore_backup(app, Path(archive))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Đã phục hồi cơ sở dữ liệu và tệp đính kèm.")
    if report.needs_upgrade:
        click.echo(f"Bản sao lưu cũ hơn mã nguồn: đã nâng cấp cơ sở dữ liệu từ phiên bản "
                   f"{report.manifest['alembic_revision']} lên {report.current_head}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(thidua_cli)
