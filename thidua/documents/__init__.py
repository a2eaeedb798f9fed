"""Documents: the one HTML → PDF path of the application (minutes, decisions, reports, certificates).

Every document is rendered by WeasyPrint with the fonts bundled in `static/fonts` (Liberation Serif 2.1,
SIL OFL), so its output never depends on the host's fonts or the network, and is byte-identical when
produced twice from the same data.
"""
