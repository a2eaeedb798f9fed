"""HTML → PDF with the bundled fonts, deterministic output.

`render_pdf(html, stylesheet=..., created=...)` turns rendered HTML into PDF bytes. The stylesheet is
parsed once per process and one FontConfiguration is shared (see TECH-NOTES: about half the time of a
naive render). The PDF carries no current time: its creation/modification dates are the `created`
argument (a date of the data, e.g. when a session closed) and its file identifier is derived from the
content, so the same data gives the same bytes.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from markupsafe import Markup, escape

_lock = threading.Lock()
# Decoded images (emblem, border) shared by every render of the process: WeasyPrint's `cache` option.
# Keyed by URL; artwork files get a new random name when replaced, so an entry never goes stale. Every
# certificate's QR code is an image of its own (a data: URL) and lands here too, so the cache is emptied
# when it outgrows IMAGE_CACHE_ENTRIES: the artwork is then decoded again once.
_image_cache: dict = {}
IMAGE_CACHE_ENTRIES = 1000


def _images() -> dict:
    if len(_image_cache) > IMAGE_CACHE_ENTRIES:
        _image_cache.clear()
    return _image_cache
FONT_FAMILY = "Thidua Serif"  # a name no host font has: a missing bundled file cannot pass unnoticed
FONT_FILES = {  # (weight, style) → file in static/fonts
    ("normal", "normal"): "LiberationSerif-Regular.ttf",
    ("bold", "normal"): "LiberationSerif-Bold.ttf",
    ("normal", "italic"): "LiberationSerif-Italic.ttf",
    ("bold", "italic"): "LiberationSerif-BoldItalic.ttf",
}


def static_dir() -> Path:
    return Path(current_app.static_folder)


def template_dir() -> Path:
    return Path(current_app.root_path, current_app.template_folder)


def font_face_css(static: Path | None = None) -> str:
    """The @font-face rules of the bundled font (absolute file URLs: no network, no host fonts).
    `static` is the static folder (default: the app's), for callers outside a Flask app context."""
    fonts = (static or static_dir()) / "fonts"
    return "\n".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; font-style: {style}; "
        f"src: url('{(fonts / name).as_uri()}'); }}"
        for (weight, style), name in FONT_FILES.items()
    )


@functools.cache
def font_config():
    """The process's one FontConfiguration (WeasyPrint reuses loaded faces across documents)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _release() -> None:
    # Drop the cached objects while the interpreter is still whole: FontConfiguration.__del__ fails
    # when it runs during module teardown.
    _stylesheet.cache_clear()
    _stylesheet_text.cache_clear()
    _image_cache.clear()
    font_config.cache_clear()


@functools.cache
def _stylesheet(paths: tuple[str, ...], mtimes: tuple[float, ...]):
    from weasyprint import CSS

    css = "\n".join([font_face_css(), *(Path(path).read_text(encoding="utf-8") for path in paths)])
    return CSS(string=css, base_url=str(static_dir()), font_config=font_config())


atexit.register(_release)


def stylesheet(relative: str | tuple[str, ...]):
    """The parsed print stylesheet `relative` (to templates/; several are joined in order, e.g. the shared
    documents/official.css then a document's own rules), with the font faces; parsed once per process
    (and again only if a file changes)."""
    paths = [template_dir() / name for name in ((relative,) if isinstance(relative, str) else relative)]
    return _stylesheet(tuple(map(str, paths)), tuple(p.stat().st_mtime for p in paths))


def metadata_tags(*, title: str, created: datetime) -> Markup:
    """<meta> tags that fix the PDF's title and dates (WeasyPrint reads dcterms.* from the HTML)."""
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup(
        f'<title>{escape(title)}</title>\n'
        f'<meta name="dcterms.created" content="{stamp}">\n'
        f'<meta name="dcterms.modified" content="{stamp}">\n'
        '<meta name="generator" content="thidua">'
    )


@functools.cache
def _stylesheet_text(css: str, base_url: str):
    from weasyprint import CSS

    return CSS(string=css, base_url=base_url, font_config=font_config())


def render_html(html: str, *, css: str, base_url: str) -> bytes:
    """PDF bytes of `html` styled by the CSS text `css` (which must carry `font_face_css(static)`), with
    no Flask app: for worker processes rendering batches. Parsed stylesheets are cached by their text."""
    from weasyprint import HTML

    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    with _lock:
        document = HTML(string=html, base_url=base_url).render(
            stylesheets=[_stylesheet_text(css, base_url)], font_config=font_config(), cache=_images()
        )
        return document.write_pdf(pdf_identifier=identifier)


def write_html(html: str, css: str, base_url: str, target: str) -> None:
    """`render_html` into the file `target`, written under a temporary name then renamed, so a process
    killed midway leaves no partial file (a batch worker's whole job)."""
    part = Path(target + ".part")
    part.write_bytes(render_html(html, css=css, base_url=base_url))
    os.replace(part, target)


def render_pdf(html: str, *, stylesheet_path: str | tuple[str, ...]) -> bytes:
    """PDF bytes of `html` styled by the print stylesheet `stylesheet_path` (relative to templates/; a
    tuple joins several, see `stylesheet`).

    The HTML should carry `metadata_tags(...)` in its <head>; the PDF identifier is a hash of the HTML,
    so two renders of the same data are byte-identical.
    """
    from weasyprint import HTML

    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    # WeasyPrint/Pango are not documented as thread-safe; one render at a time per process.
    with _lock:
        document = HTML(string=html, base_url=str(static_dir())).render(
            stylesheets=[stylesheet(stylesheet_path)], font_config=font_config(), cache=_images()
        )
        return document.write_pdf(pdf_identifier=identifier)
