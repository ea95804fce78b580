"""The corpora the speed commands read: a generated mixed Vietnamese/English chat, or a file.

``quytac bench`` times the engine over one; ``quytac bench --worst`` compares its slowest finds
with ordinary chat from the same generator.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

# Building blocks of the generated corpus: chat-like fragments, not a data set.
_VI = [
    "các bạn ơi tối nay đi ăn không", "hôm nay trời đẹp quá", "mình mới mua cái điện thoại mới",
    "ai có tài liệu môn toán không cho mình xin với", "đi du lịch Đà Lạt vui lắm", "ok nhé",
    "buổi học hôm nay đủ rồi", "cảm ơn bạn nhiều", "tuần sau họp lúc mấy giờ vậy",
    "con mèo nhà mình dễ thương ghê", "đội mình thắng rồi", "chúc mừng sinh nhật nha",
    "mai mình nghỉ học nhé", "video này hay quá", "giá bao nhiêu vậy shop", "haha buồn cười thật",
]
_VI_PLAIN = [
    "cac ban oi toi nay di an khong", "hom nay troi dep qua", "ai co tai lieu khong",
    "di du lich da lat vui lam", "cam on ban nhieu", "tuan sau hop luc may gio", "ok nha",
    "doi minh thang roi", "mai minh nghi hoc nhe", "video nay hay qua",
]
_EN = [
    "hey everyone, what's up", "did anyone watch the game last night", "lol that's hilarious",
    "can someone send me the notes", "good morning!", "see you tomorrow", "thanks a lot",
    "I just bought a new phone", "the meeting is at 3pm", "dm me the link please", "gg wp",
    "that movie was amazing", "who's coming to the party on saturday", "brb",
]
_BAD = [
    "địt mẹ mày", "dit me may", "đ.ị.t m.ẹ", "thằng óc chó", "ngu như bò", "dm thằng kia", "vcl",
    "fuck you", "f u c k", "ｆｕｃｋ", "shut up bitch", "kill yourself", "nhà cái uy tín nạp đầu",
    "vay tiền nhanh chỉ cần cccd", "join discord.gg/abc123", "số nó 0912345678", "bọn bắc kỳ",
    "you idiot", "sh!t", "clgt",
]


def generated_corpus(size: int, seed: int = 7) -> list[str]:
    """A mixed vi/en chat corpus: 50% Vietnamese, 15% unaccented Vietnamese, 35% English,
    about 8% carrying a violation or an evasion of one."""
    rng = random.Random(seed)
    out = []
    for _ in range(size):
        roll = rng.random()
        pool = _VI if roll < 0.5 else _VI_PLAIN if roll < 0.65 else _EN
        parts = [rng.choice(pool) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        if rng.random() < 0.08:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(_BAD))
        text = " ".join(parts)
        if rng.random() < 0.1:
            text += " " + rng.choice(("😂", "!!", "???", "=))", ":v", "👍"))
        out.append(text)
    return out


def read_corpus(path: Path) -> list[str]:
    if path.suffix.lower() in (".csv", ".tsv"):
        raw = path.read_text(encoding="utf-8-sig").splitlines()
        rows = list(csv.DictReader(raw, dialect="excel-tab" if path.suffix == ".tsv" else "excel"))
        for col in ("text", "free_text", "tweet", "message", "content"):
            if rows and col in rows[0]:
                return [r[col] or "" for r in rows]
        raise SystemExit(f"{path}: no text column (tried text, free_text, tweet, message, content)")
    return path.read_text(encoding="utf-8").splitlines()
