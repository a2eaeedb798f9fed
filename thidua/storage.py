"""Uploaded files: checked by content (not by name or the browser's claim) and size, stored outside
`static/` under random names, and read back only by views that have checked permission."""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, send_file
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import FileStorage

from thidua.extensions import utcnow


class UploadRefused(ValueError):
    """The upload is not acceptable; the message says why, in Vietnamese."""


# kind → (content type, download extension, Vietnamese name)
KINDS = {
    "pdf": ("application/pdf", ".pdf", "PDF"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word (.docx)"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel (.xlsx)"),
    "jpeg": ("image/jpeg", ".jpg", "JPEG"),
    "png": ("image/png", ".png", "PNG"),
}


def sniff(head: bytes, data: bytes) -> str | None:
    """Return the kind of a file from its bytes, or None when it is none of the known kinds."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
    return None


@dataclass(frozen=True)
class StoredUpload:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str
    kind: str

    def columns(self) -> dict:
        """The values a `StoredFileMixin` row takes from this upload."""
        return {"original_name": self.original_name, "stored_name": self.stored_name,
                "content_type": self.content_type, "size": self.size, "sha256": self.sha256}


class StoredFileMixin:
    """Columns of a row that stands for one uploaded file kept by this module."""

    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


def safe_display_name(filename: str | None) -> str:
    """The user's file name without any directory part, kept only for display and download."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "tep-dinh-kem"


def read_upload(file: FileStorage | None, *, kinds: set[str], max_bytes: int | None = None) -> tuple[bytes, str]:
    """Read and check an upload; return (bytes, kind) or raise UploadRefused with the reason."""
    if file is None or not file.filename:
        raise UploadRefused("Chưa chọn tệp.")
    limit = max_bytes or current_app.config["MAX_UPLOAD_BYTES"]
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(f"Tệp quá lớn: tối đa {limit // (1024 * 1024)} MB.")
    if not data:
        raise UploadRefused("Tệp rỗng.")
    kind = sniff(data[:16], data)
    if kind not in kinds:
        allowed = ", ".join(KINDS[k][2] for k in sorted(kinds))
        raise UploadRefused(f"Nội dung tệp không phải định dạng được chấp nhận ({allowed}).")
    return data, kind


def save_upload(file: FileStorage | None, *, kinds: set[str], max_bytes: int | None = None) -> StoredUpload:
    """Check an upload and write it under a random name in UPLOAD_FOLDER."""
    data, kind = read_upload(file, kinds=kinds, max_bytes=max_bytes)
    stored_name = secrets.token_hex(16) + KINDS[kind][1]
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored_name).write_bytes(data)
    return StoredUpload(
        original_name=safe_display_name(file.filename),
        stored_name=stored_name,
        content_type=KINDS[kind][0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        kind=kind,
    )


def path_of(stored_name: str) -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (folder / stored_name).resolve()
    if path.parent != folder:
        raise FileNotFoundError(stored_name)
    return path


def delete_stored(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)


def send_stored(stored_name: str, *, download_name: str, content_type: str):
    return send_file(path_of(stored_name), mimetype=content_type, as_attachment=True, download_name=download_name)


def send(row: StoredFileMixin):
    """The file behind `row` as a download under its original name; 404 when the file is gone.
    Call only after the permission check."""
    try:
        return send_stored(row.stored_name, download_name=row.original_name, content_type=row.content_type)
    except FileNotFoundError:
        abort(404)
