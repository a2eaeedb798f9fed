"""Server-rendered SVG charts: pure functions from numbers to markup, no JavaScript and no chart library.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` stating every value, axis labels,
and the value printed beside each bar or point, so it reads without colour (series also differ by
pattern or marker shape). The page shows the same numbers in a table for screen readers and copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH = 680
LABEL_W = 230  # room for the category labels of horizontal bars
ROW_H = 26
FONT = 'font-family="Thidua Serif, serif" font-size="12"'

# (fill colour, pattern id) per series; the pattern keeps series apart when printed in grey
_SERIES_STYLE = [("#2f6db5", None), ("#e0892b", "hatch"), ("#4f9a56", "dots"), ("#8a5cb8", "cross")]
_MARKERS = ["circle", "square", "triangle", "diamond"]
_ids = count(1)


def _num(n: int | float) -> str:
    """1234567 → "1.234.567" (Vietnamese thousands separator)."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(n):,}".replace(",", ".")


def _defs(uid: str) -> str:
    return (f'<defs>'
            f'<pattern id="hatch-{uid}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="6" height="6" fill="#e0892b"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
            f'<pattern id="dots-{uid}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" fill="#4f9a56"/><circle cx="3" cy="3" r="1.4" fill="#fff"/></pattern>'
            f'<pattern id="cross-{uid}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" fill="#8a5cb8"/><path d="M0 3H6M3 0V6" stroke="#fff" stroke-width="1"/></pattern>'
            f'</defs>')


def _fill(i: int, uid: str) -> str:
    colour, pattern = _SERIES_STYLE[i % len(_SERIES_STYLE)]
    return f"url(#{pattern}-{uid})" if pattern else colour


def _open(title: str, desc: str, height: int, uid: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
            f'width="100%" style="max-width:{WIDTH}px" aria-labelledby="t-{uid} d-{uid}" {FONT}>'
            f'<title id="t-{uid}">{escape(title)}</title><desc id="d-{uid}">{escape(desc)}</desc>{_defs(uid)}'
            f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>')


def _short(label: str, limit: int = 36) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(title: str, data: Sequence[tuple[str, int | float]], *, x_label: str, y_label: str) -> Markup:
    """Horizontal bars, one per (label, value), the value written after each bar."""
    return stacked_bar_chart(title, [label for label, _ in data], [(x_label, [v for _, v in data])],
                             x_label=x_label, y_label=y_label, legend=False)


def stacked_bar_chart(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[int | float]]], *,
                      x_label: str, y_label: str, legend: bool = True) -> Markup:
    """Horizontal bars, one per category, each split into the series' values (left to right), every
    segment labelled with its value when wide enough and the total written after the bar."""
    uid = str(next(_ids))
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top = 52 if legend else 36
    height = top + ROW_H * max(len(categories), 1) + 40
    plot_w = WIDTH - LABEL_W - 60
    scale = plot_w / max(max(totals, default=0), 1)
    parts_desc = "; ".join(
        f"{cat}: " + (", ".join(f"{name} {_num(values[i])}" for name, values in series) if len(series) > 1
                      else _num(series[0][1][i]))
        + (f" (tổng {_num(totals[i])})" if len(series) > 1 else "")
        for i, cat in enumerate(categories))
    out = [_open(title, f"{y_label} theo {x_label.lower()}. {parts_desc or 'Không có số liệu.'}", height, uid)]
    if legend:
        x = 0
        for s, (name, _) in enumerate(series):
            out.append(f'<rect x="{x}" y="26" width="14" height="14" fill="{_fill(s, uid)}" stroke="#333"/>'
                       f'<text x="{x + 18}" y="37">{escape(name)}</text>')
            x += 28 + 7 * len(name)
    out.append(f'<text x="0" y="{top - 6}" font-weight="bold">{escape(y_label)}</text>')
    for i, cat in enumerate(categories):
        y = top + i * ROW_H
        out.append(f'<text x="{LABEL_W - 6}" y="{y + 17}" text-anchor="end">{escape(_short(cat))}</text>')
        x = LABEL_W
        for s, (name, values) in enumerate(series):
            w = values[i] * scale
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_H - 8}" fill="{_fill(s, uid)}" '
                           f'stroke="#333" stroke-width="0.5"><title>{escape(cat)} – {escape(name)}: {_num(values[i])}</title></rect>')
                if len(series) > 1 and w >= 8 * len(_num(values[i])) + 6:
                    out.append(f'<text x="{x + w / 2:.1f}" y="{y + 17}" text-anchor="middle" fill="#fff" '
                               f'stroke="#000" stroke-width="2.5" paint-order="stroke">{_num(values[i])}</text>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 17}" font-weight="bold">{_num(totals[i])}</text>')
    axis_y = top + ROW_H * max(len(categories), 1)
    out.append(f'<line x1="{LABEL_W}" y1="{top}" x2="{LABEL_W}" y2="{axis_y}" stroke="#333"/>'
               f'<line x1="{LABEL_W}" y1="{axis_y}" x2="{LABEL_W + plot_w}" y2="{axis_y}" stroke="#333"/>'
               f'<text x="{LABEL_W + plot_w / 2:.0f}" y="{axis_y + 28}" text-anchor="middle">{escape(x_label)}</text>')
    if not categories:
        out.append(f'<text x="{LABEL_W + 8}" y="{top + 17}" fill="#555">Không có số liệu</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _marker(kind: str, x: float, y: float, fill: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{fill}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}L{x - 5:.1f} {y + 4:.1f}Z" fill="{fill}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}L{x - 5:.1f} {y:.1f}Z" fill="{fill}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}"/>'


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int | float]]], *,
               x_label: str, y_label: str) -> Markup:
    """Lines over `labels` (e.g. years), one per series, each point marked (shape per series) and its value written."""
    uid = str(next(_ids))
    height, left, right, top, bottom = 300, 90, 20, 56, 50
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max((v for _, values in series for v in values), default=0) or 1
    step_x = plot_w / max(len(labels) - 1, 1)
    desc = "; ".join(f"{name}: " + ", ".join(f"{lab} {_num(v)}" for lab, v in zip(labels, values, strict=True))
                     for name, values in series)
    out = [_open(title, f"{y_label} theo {x_label.lower()}. {desc}", height, uid)]
    x = 0
    for s, (name, _) in enumerate(series):
        colour = _SERIES_STYLE[s % len(_SERIES_STYLE)][0]
        out.append(f'<line x1="{x}" y1="33" x2="{x + 20}" y2="33" stroke="{colour}" stroke-width="2" '
                   f'stroke-dasharray="{"none" if s == 0 else "6 3"}"/>{_marker(_MARKERS[s % 4], x + 10, 33, colour)}'
                   f'<text x="{x + 26}" y="37">{escape(name)}</text>')
        x += 40 + 7 * len(name)
    base = top + plot_h
    for k in range(5):  # four gridlines with their values
        v = peak * k / 4
        y = base - plot_h * k / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_num(round(v))}</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#333"/>'
               f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>'
               f'<text x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{escape(y_label)}</text>'
               f'<text x="{left + plot_w / 2:.0f}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>')
    for i, lab in enumerate(labels):
        out.append(f'<text x="{left + i * step_x:.1f}" y="{base + 18}" text-anchor="middle">{escape(lab)}</text>')
    for s, (_name, values) in enumerate(series):
        colour = _SERIES_STYLE[s % len(_SERIES_STYLE)][0]
        points = [(left + i * step_x, base - plot_h * v / peak) for i, v in enumerate(values)]
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                   f'stroke-dasharray="{"none" if s == 0 else "6 3"}" '
                   f'points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}"/>')
        for (px, py), v in zip(points, values, strict=True):
            out.append(_marker(_MARKERS[s % 4], px, py, colour)
                       + f'<text x="{px:.1f}" y="{py - 8 - 12 * s:.1f}" text-anchor="middle">{_num(v)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
