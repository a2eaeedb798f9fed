"""thidua: emulation and commendation (thi đua, khen thưởng) work for Vietnamese government bodies."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from .config import Config, resolve_secret_key


class DatabaseIntConverter(IntegerConverter):
    """`<int:id>` limited to what an INTEGER column holds: a larger id is a 404, not a database error."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: type | dict | None = None) -> Flask:
    """Build the application: config → extensions → blueprints → errors → cli → jinja."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=False)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config["SECRET_KEY"] = resolve_secret_key(app.config)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    _init_extensions(app)

    from . import observability, security

    security.init_app(app)  # security headers; ProxyFix behind a reverse proxy
    observability.init_app(app)  # request ids, structured logs

    from . import jobs

    jobs.init_app(app)  # the task queue for background jobs
    app.url_map.converters["int"] = DatabaseIntConverter
    _register_blueprints(app)

    from . import ratelimit

    ratelimit.init_app(app)  # rate limits on login, password resets and public forms (after the blueprints)

    from .errors import register_error_handlers

    register_error_handlers(app)

    from .cli import register_cli

    register_cli(app)

    from .filters import register_jinja

    register_jinja(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every model registered before the mappers configure)
    from .audit.services import install as install_audit
    from .extensions import bootstrap, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    install_audit(db.session)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        import sqlalchemy as sa

        with app.app_context():
            engine = db.engine

            @sa.event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):  # foreign keys are off by default in SQLite
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()


def _register_blueprints(app: Flask) -> None:
    # Blueprints are imported from each domain's views module (not its __init__), so importing a
    # domain's models never drags in views and the permission policy.
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .awards.document_views import bp as award_documents_bp
    from .awards.fund_views import bp as fund_bp
    from .awards.proposal_views import bp as proposals_bp
    from .awards.views import bp as awards_bp
    from .campaigns.views import bp as campaigns_bp
    from .certificates.job_views import bp as print_jobs_bp
    from .certificates.views import bp as certificates_bp
    from .clusters.views import bp as clusters_bp
    from .clusters.year_views import bp as cluster_years_bp
    from .councils.ballot_views import bp as council_ballot_bp
    from .councils.scoring_views import bp as council_scoring_bp
    from .councils.views import bp as councils_bp
    from .dashboards.views import bp as dashboards_bp
    from .home.views import bp as home_bp
    from .nominations.excel_views import bp as nomination_excel_bp
    from .nominations.views import bp as nominations_bp
    from .notices.views import bp as notices_bp
    from .notifications.mail_views import bp as mail_bp
    from .notifications.views import bp as notifications_bp
    from .observability import bp as observability_bp
    from .org.views import bp as org_bp
    from .public.views import bp as public_bp
    from .registry.views import bp as registry_bp
    from .reports.views import bp as reports_bp
    from .rules.views import bp as rules_bp
    from .scoring.views import bp as scoring_bp
    from .showcase.views import bp as showcase_bp

    for bp in (home_bp, auth_bp, org_bp, clusters_bp, cluster_years_bp, campaigns_bp, rules_bp, registry_bp,
               nominations_bp, nomination_excel_bp, notices_bp, scoring_bp, councils_bp,
               council_scoring_bp, council_ballot_bp, audit_bp, proposals_bp, award_documents_bp, fund_bp, print_jobs_bp,
               awards_bp, certificates_bp, reports_bp, dashboards_bp, showcase_bp, public_bp, notifications_bp,
               mail_bp, observability_bp):
        app.register_blueprint(bp)
