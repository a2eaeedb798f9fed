"""Helpers shared by the good-model tests."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage

from thidua import storage
from thidua.showcase import services

# Enough of a PNG for the content check (the signature); the browser never decodes it in these tests.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def add_photo(model, *, public: bool = True, caption: str | None = "Ảnh hoạt động"):
    upload = storage.save_upload(FileStorage(io.BytesIO(PNG), filename="anh.png"), kinds={"png"})
    return services.add_file(model, upload=upload, caption=caption, public=public)
