"""Worker functions for tests of batch rendering when a worker process dies (imported by the workers)."""

from __future__ import annotations

import os
from pathlib import Path

from thidua.documents.pdf import write_html


def dies_once(html: str, css: str, base_url: str, target: str) -> None:
    """Dies abruptly the first time it is given `target` (as a kill or a crash would), renders the next."""
    marker = Path(target + ".died")
    if not marker.exists():
        marker.write_text("1")
        os._exit(137)
    write_html(html, css, base_url, target)


def always_dies(html: str, css: str, base_url: str, target: str) -> None:
    os._exit(139)
