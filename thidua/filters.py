"""Jinja filters and globals: Vietnamese dates, enum labels, and `can` for templates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from .permissions import can


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value)
    return value.strftime("%d/%m/%Y")


def local_time(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def vn_datetime(value: datetime | None) -> str:
    return local_time(value).strftime("%d/%m/%Y %H:%M") if value else ""


def long_date(value: date | None, place: str | None = None) -> str:
    """"Thanh Hóa, ngày 05 tháng 3 năm 2024": leading zero for days < 10 and months 1–2 (Decree 30/2020)."""
    if value is None:
        return ""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    text = f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return f"{place}, {text}" if place else text


def vnd(value: int | None, unit: str = " đ") -> str:
    """Money the Vietnamese way, dots between thousands: 2340000 → "2.340.000 đ"."""
    if value is None:
        return ""
    return f"{int(value):,}".replace(",", ".") + unit


def register_jinja(app: Flask) -> None:
    app.jinja_env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime, long_date=long_date)
    app.jinja_env.filters.update(vnd=vnd)
    app.jinja_env.globals.update(can=can)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
