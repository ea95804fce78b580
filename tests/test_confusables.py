"""Look-alike letters from Unicode's confusables data (``bot/core/data/confusables.tsv``, UTS #39):
every character the data reads as one Latin letter normalises to it, whatever its case and
whether NFKC changes it, and no Vietnamese letter changes."""

import unicodedata
from pathlib import Path

import pytest

from bot.core.confusables import VIETNAMESE_LETTERS
from bot.core.normalize import normalize

DATA = Path(__file__).resolve().parent.parent / "bot" / "core" / "data" / "confusables.tsv"


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, letter, name = line.split("\t")
            rows.append((chr(int(code, 16)), letter, name))
    return rows


def test_the_data_says_where_it_comes_from_and_is_large():
    header = DATA.read_text(encoding="utf-8").splitlines()[:3]
    assert "UTS #39" in header[0] and "confusable-homoglyphs package 3.3.1" in header[1]
    assert len(_rows()) > 1_000


def _reads_as(ch: str, letter: str) -> str:
    # Unicode reads capital I and small l alike; a capital that looks like either is an I
    return "i" if letter == "l" and ch.isupper() else letter.lower()


def test_every_confusable_of_a_letter_reads_as_it():
    wrong = [(f"U+{ord(ch):04X}", name, normalize(ch).exact, _reads_as(ch, letter))
             for ch, letter, name in _rows() if normalize(ch).exact != _reads_as(ch, letter)]
    assert wrong == []


def test_inside_a_word_too():
    # each look-alike between Latin letters, as people write them
    wrong = [(f"U+{ord(ch):04X}", name) for ch, letter, name in _rows()
             if normalize(f"xy{ch}zw").exact != f"xy{_reads_as(ch, letter)}zw"]
    assert wrong == []


@pytest.mark.parametrize("text, reads", [
    ("fuϲk you", "fuck you"), ("ѕhӏt", "shit"), ("BITϹH", "bitch"), ("ΝΙGGΑ", "nigga"),
])
def test_the_issue_examples(text, reads):
    assert normalize(text).exact == reads


def test_no_vietnamese_letter_changes():
    letters = sorted(VIETNAMESE_LETTERS | {c.upper() for c in VIETNAMESE_LETTERS})
    changed = [ch for ch in letters if normalize(ch).exact != ch.casefold()]
    assert changed == []
    for form in ("NFC", "NFD"):
        text = unicodedata.normalize(form, "Đường phố Hà Nội ĐẸP quá, ƯỚC GÌ Ở ĐÂY")
        assert normalize(text).exact == "đường phố hà nội đẹp quá, ước gì ở đây"
