"""Certificate batches: the print form of a decision, the job page with its progress, its status as
JSON (polled by static/js/print-job.js), the download, and the list of a decision's batches."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange

from thidua.awards.models import Decision
from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.fields import Form, options, required
from thidua.filters import local_time
from thidua.jobs import enqueue_print_job
from thidua.org.models import Unit
from thidua.permissions import authorize
from thidua.storage import send_stored
from thidua.text import fold

from .batch import MAX_COPIES, BatchRefused, start_print_job, unit_counts
from .models import JobStatus, PrinterCalibration, PrintJob, PrintMode

log = logging.getLogger(__name__)

bp = Blueprint("print_jobs", __name__, url_prefix="/print-jobs")

WHOLE_DECISION = 0
NO_CALIBRATION = 0


class PrintJobForm(Form):
    unit_id = SelectField("In cho", coerce=int, validators=[required("Vui lòng chọn phạm vi in.")])
    mode = SelectField("Cách in", choices=options(PrintMode), validators=[required("Vui lòng chọn cách in.")])
    calibration_id = SelectField("Hiệu chỉnh máy in", coerce=int,
                                 description="Chỉ dùng khi in lên phôi: bù độ lệch của máy in đã đo.")
    copies = IntegerField("Số bản cho mỗi cá nhân, tập thể", default=1, validators=[
        required("Vui lòng nhập số bản."),
        NumberRange(1, MAX_COPIES, message=f"Số bản phải từ 1 đến {MAX_COPIES}."),
    ])

    def __init__(self, *args, unit_choices, calibration_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(unit_choices)
        self.calibration_id.choices = options([(NO_CALIBRATION, "— Không hiệu chỉnh —"), *calibration_choices])


def _form(decision: Decision) -> PrintJobForm:
    total = sum(1 for item in decision.items if not item.is_revoked)
    units = [(WHOLE_DECISION, f"Toàn bộ quyết định ({total} cá nhân, tập thể)")]
    units += [(u.id, f"{u.name} ({n})") for u, n in unit_counts(decision)]
    calibrations = [(c.id, c.name) for c in db.session.scalars(
        sa.select(PrinterCalibration).order_by(PrinterCalibration.name))]
    return PrintJobForm(unit_choices=units, calibration_choices=calibrations)


@bp.route("/decisions/<int:decision_id>/new", methods=["GET", "POST"])
def new(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("certificate.print", decision)
    form = _form(decision)
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data != WHOLE_DECISION else None
        calibration = (db.session.get(PrinterCalibration, form.calibration_id.data)
                       if form.calibration_id.data != NO_CALIBRATION else None)
        try:
            job = start_print_job(decision, unit=unit, mode=PrintMode(form.mode.data), calibration=calibration,
                                  copies=form.copies.data, user=current_user)
        except BatchRefused as exc:
            db.session.rollback()
            if exc.field and exc.field in form:
                form[exc.field].errors.append(str(exc))
            else:
                form.form_errors.append(str(exc))
        else:
            skipped = job.skipped
            db.session.commit()
            _enqueue(job)
            message = f"Đã nhận yêu cầu in {job.total} trang; hệ thống đang tạo tệp PDF."
            if skipped:
                message += f" Bỏ qua {skipped} trường hợp đã bị thu hồi."
            flash(message, "success")
            return redirect(url_for("print_jobs.detail", job_id=job.id))
    return render_template("print_jobs/new.html", form=form, decision=decision)


def _enqueue(job: PrintJob) -> None:
    """Hand the committed job to the queue; if the queue cannot be reached, the job fails visibly."""
    try:
        enqueue_print_job(job.id)
    except Exception:
        log.exception("print job %s: could not be queued", job.id)
        job.status = JobStatus.FAILED
        job.error = "Không gửi được yêu cầu tới hàng đợi xử lý nền. Vui lòng thử lại hoặc báo quản trị viên."
        db.session.commit()


@bp.get("/decisions/<int:decision_id>")
def index(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("certificate.print", decision)
    return render_template("print_jobs/index.html", decision=decision, jobs=_jobs(decision))


def _jobs(decision: Decision) -> list[PrintJob]:
    """The decision's print jobs, newest first (the page and its Excel export)."""
    return db.session.scalars(sa.select(PrintJob).where(PrintJob.decision_id == decision.id)
                              .options(sa.orm.joinedload(PrintJob.unit), sa.orm.joinedload(PrintJob.requested_by))
                              .order_by(PrintJob.id.desc())).all()


@bp.get("/decisions/<int:decision_id>/export.xlsx")
def index_xlsx(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("certificate.print", decision)
    rows = ([local_time(j.created_at), j.unit.name if j.unit else "Toàn bộ quyết định", j.mode, j.copies, j.total,
             j.requested_by.full_name if j.requested_by else None, j.status] for j in _jobs(decision))
    return xlsx_response(f"lan-in-giay-khen-{decision.id}", "Các lần in giấy khen, bằng khen",
                         [col("Thời điểm yêu cầu", "datetime"), col("Phạm vi"), col("Cách in"),
                          col("Số bản mỗi người", "int"), col("Số trang", "int"), col("Người yêu cầu"),
                          col("Tình trạng")], rows, filters={"Quyết định": str(decision)})


def _job(job_id: int) -> PrintJob:
    job = db.get_or_404(PrintJob, job_id)
    authorize("certificate.print", job.decision)
    return job


@bp.get("/<int:job_id>")
def detail(job_id: int):
    job = _job(job_id)
    return render_template("print_jobs/detail.html", job=job, decision=job.decision,
                           finished=job.status in (JobStatus.DONE, JobStatus.FAILED))


@bp.get("/<int:job_id>/status.json")
def status(job_id: int):
    job = _job(job_id)
    response = jsonify(
        id=job.id, status=job.status.value, label=job.status.label, done=job.done, total=job.total,
        percent=job.percent, finished=job.status in (JobStatus.DONE, JobStatus.FAILED), error=job.error,
        download_url=url_for("print_jobs.download", job_id=job.id) if job.status == JobStatus.DONE else None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def download_name(job: PrintJob) -> str:
    """An ASCII file name: "giay-khen-qd-1234-qd-ubnd-so-giao-duc-va-dao-tao.pdf"."""
    words = [job.decision.award_type.name, f"QĐ {job.decision.number or job.decision.id}"]
    if job.unit is not None:
        words.append(job.unit.name)
    slug = re.sub(r"[^a-z0-9]+", "-", fold(" ".join(words))).strip("-")
    return f"{slug[:120]}.pdf"


@bp.get("/<int:job_id>/download")
def download(job_id: int):
    job = _job(job_id)
    if job.status != JobStatus.DONE or not job.stored_name:
        abort(404)
    try:
        return send_stored(job.stored_name, download_name=download_name(job), content_type="application/pdf")
    except FileNotFoundError:
        abort(404)
