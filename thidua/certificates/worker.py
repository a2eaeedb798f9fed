"""The warm start of the batch's worker processes.

The multiprocessing fork server imports this module (batch.WORKER_PRELOAD), so it loads WeasyPrint and
renders a one-line document in every face of the bundled font before it forks any worker: each worker then
starts with the fonts loaded instead of spending about 45 ms on it for every chunk. Rendering leaves the
server single-threaded (Pango and fontconfig start no thread), so forking it stays safe; workers still run
only `thidua.documents.pdf.write_html`.
"""

from __future__ import annotations

from pathlib import Path

from thidua.documents.pdf import FONT_FAMILY, font_face_css, render_html

STATIC = Path(__file__).resolve().parents[2] / "static"


def warm_up() -> None:
    css = font_face_css(STATIC) + f"\nbody {{ font-family: '{FONT_FAMILY}'; }}"
    render_html("<p>Nguyễn Thị Hằng <b>Đặng Quốc Vượng</b> <i>Lê Thị Ánh Tuyết</i> <b><i>Ánh</i></b></p>",
                css=css, base_url=str(STATIC))


warm_up()
