import pytest

from thidua import create_app
from thidua.config import Config, TestConfig, normalize_database_url


def test_testing_config_is_used(app):
    assert app.testing
    assert app.config["WTF_CSRF_ENABLED"] is False


def test_production_without_secret_key_refuses_to_start(tmp_path):
    config = type("Prod", (Config,), {"ENV_NAME": "production", "SECRET_KEY": None, "INSTANCE_PATH": tmp_path,
                                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_FOLDER": tmp_path / "up"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_development_generates_secret_key_once_and_keeps_it(tmp_path):
    config = type("Dev", (Config,), {"SECRET_KEY": None, "INSTANCE_PATH": tmp_path,
                                     "SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_FOLDER": tmp_path / "up"})
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg3_driver():
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_session_cookie_is_httponly_and_samesite(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_bootstrap_is_served_locally(client, users, login_as):
    page = login_as(users[next(iter(users))]).get("/").get_data(as_text=True)
    assert "cdn.jsdelivr.net" not in page and "//cdn" not in page
    assert "/bootstrap/static/" in page


def test_error_pages_are_vietnamese(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_test_config_database_defaults_to_memory_sqlite(monkeypatch):
    assert TestConfig.SQLALCHEMY_DATABASE_URI.startswith(("sqlite://", "postgresql+psycopg://"))
