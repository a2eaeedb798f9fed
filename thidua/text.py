"""Vietnamese text: NFC normalisation, diacritic-insensitive folding and Vietnamese sort keys."""

from __future__ import annotations

import unicodedata

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tone marks, in the order Vietnamese dictionaries use: none, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a distinct letter rather than a tone.
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
                 ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}


def nfc(value: str | None) -> str | None:
    """Normalise to NFC and trim; some keyboards send decomposed text."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str | None) -> str:
    """Fold for search: lower case, no diacritics, đ→d, single spaces ("Nguyễn  Văn" → "nguyen van")."""
    if not value:
        return ""
    value = value.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFC", word.casefold()):
        base, *marks = unicodedata.normalize("NFD", ch)
        tone = 0
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            else:
                base = _LETTER_MARKS.get((base, mark), base)
        letters.append(_LETTER_RANK.get(base, 100 + ord(base)))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def vi_name_key(full_name: str) -> tuple:
    """Sort key for a person's name the Vietnamese way: given name, then middle names, then family name.

    Letters compare by the Vietnamese alphabet (a < ă < â, d < đ); tones only break ties.
    """
    words = (nfc(full_name) or "").split()
    if not words:
        return ((), ())
    ordered = [words[-1], *words[1:-1], words[0]] if len(words) > 1 else words
    keys = [_word_key(w) for w in ordered]
    return tuple(k[0] for k in keys), tuple(k[1] for k in keys)


def vi_text_key(text: str) -> tuple:
    """Sort key for ordinary text (unit names) by the Vietnamese alphabet, word by word."""
    keys = [_word_key(w) for w in (nfc(text) or "").split()]
    return tuple(k[0] for k in keys), tuple(k[1] for k in keys)
