"""The model card: what a model is, what it was trained on, and how it measures.

``quytac model card`` writes it from the model file itself (its data, command, commit and
thresholds), the scores it gives a fixed list of example messages, and measurements on labelled
files it was not trained on (the dev splits), each with the rules as the bot runs them.
"""

from __future__ import annotations

from typing import Any

from bot.core import normalize
from bot.core.model import Model, sigmoid

# Messages the card shows with their scores; the tests check the shipped model still gives them.
EXAMPLES = (
    "hôm nay trời đẹp quá", "các bạn ơi tối nay đi ăn không", "cảm ơn bạn nhiều nhé",
    "thằng này ngu như bò", "đồ mất dạy", "câm mồm đi", "mày là cái thá gì mà nói",
    "bọn này toàn lũ ăn hại", "see you tomorrow", "thanks a lot", "you are a pathetic loser",
    "shut up you moron", "what a beautiful day",
)

SOURCES = {
    "vihsd": ("ViHSD (Luu et al., 2021), Vietnamese Facebook and YouTube comments; labels CLEAN, "
              "OFFENSIVE, HATE; github.com/sonlam1102/vihsd @826ef5e; for research use",
              "Luu, S. T., Nguyen, K. V., Nguyen, N. L.-T. (2021). A Large-scale Dataset for "
              "Hate Speech Detection on Vietnamese Social Media Texts. IEA/AIE 2021."),
    "davidson2017": ("Davidson et al. (2017), English tweets; labels hate, offensive, neither; "
                     "github.com/t-davidson/hate-speech-and-offensive-language @cb50f7e; MIT",
                     "Davidson, T., Warmsley, D., Macy, M., Weber, I. (2017). Automated Hate "
                     "Speech Detection and the Problem of Offensive Language. ICWSM 2017."),
}


def _source(path: str) -> tuple[str, str] | None:
    for key, value in SOURCES.items():
        if key in path:
            return value
    return None


def _plain_sentence(factor: float) -> str:
    if factor >= 1:
        return ""
    return (f"Vietnamese violations typed without marks count for {factor:.2f} of one, so that "
            "they are as frequent among comments typed plain as among those typed with marks "
            "(in ViHSD the plain ones are harsher): how a member types is no evidence.")


def render(model: Model, measured: list[dict[str, Any]]) -> str:
    """The card as Markdown. ``measured``: ``quytac eval --json`` reports, the model loaded."""
    info = model.info.get("trained", {})
    t = model.thresholds
    lines = [
        "# Model card: the learned stage's default model (`bot/models/default.qtm`)",
        "",
        "A logistic regression over hashed words and word pairs (`bot/core/features.py`, "
        f"features `{model.header()['features']}`, 2^{model.bits} buckets, weights within "
        f"±{info.get('clip', '?')}), scored for every message by `bot/core/_score.c`. It sends "
        "to review what no rule catches, takes confidence from word hits it finds implausible "
        "(never below the review floor), and punishes nobody on its own unless a community "
        "sets `model_act_threshold`. Each community's moderators teach it further "
        "(`bot/core/learned.py`).",
        "",
        "## Data",
        "",
        "| file | part | rows | violation = label in | sha256 |",
        "|---|---|---|---|---|",
    ]
    for f in info.get("files", []):
        lines.append(f"| `{f['path']}` | {('half ' + f['half']) if f['half'] else 'whole'} | "
                     f"{f['rows']:,} | {', '.join(f['positive_labels'])} | `{f['sha256'][:16]}…` |")
    lines += ["", "Sources, terms and citations:", ""]
    seen = set()
    for f in info.get("files", []):
        source = _source(f["path"])
        if source and source not in seen:
            seen.add(source)
            lines += [f"- {source[0]}. Cite: {source[1]}"]
    lines += [
        "",
        f"Training kept {info.get('held_out_rows', 0):,} rows (a hash of each text picks "
        f"{info.get('holdout', 0):.0%}) out of the fit, to choose the regularisation and tune "
        f"the thresholds; it fitted {info.get('fit_rows', 0):,}. No dev split was read: "
        "Davidson's file is the only one it ships, so its half `a` trains and half `b` is "
        "measured. Each file's violations are weighted to the lowest share of violations any "
        "file has (Davidson's tweets were collected for slurs: 83% offensive), in the fit and "
        "in tuning alike: thresholds are chosen for chat in which violations are that rare, "
        "and among review thresholds about as good as the best (F1 within 0.005), the highest. "
        + _plain_sentence(info.get("plain_factor", 1.0)),
        "",
        "## How it was made",
        "",
        f"- command: `{info.get('command', '')}`",
        f"- commit: `{info.get('commit') or 'unknown'}`, {info.get('date', '')}, "
        f"{info.get('seconds', '?')} s on this project's machine (2 cores)",
        f"- regularisation: C = {info.get('c')} (held-out objective per C: "
        + ", ".join(f"{k['c']:g}: {k['objective']:.3f}" for k in info.get("candidates", []))
        + ")",
        f"- thresholds: review from {t.review} (" + ", ".join(
            f"{lang} {v}" for lang, v in t.review_by_language) + f"), only for messages of at "
        f"least {t.min_words} word{'' if t.min_words == 1 else 's'}; a word hit in a message "
        f"scoring below {t.implausible} "
        f"(at most what it gives a message of words it never saw, {sigmoid(model.bias):.3f}: "
        "a word it does not know is no evidence of innocence) "
        f"loses {t.demote_slope} log-odds per log-odds below it, at most {t.demote_cap}; "
        f"promotion {'off' if t.promote >= 1 else t.promote}",
        "",
        "## Measured (the rules and the model together, default settings)",
        "",
        "| file | messages | acted on: precision | recall | flagged (acted or review): "
        "precision | recall | F1 | clean messages flagged |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in measured:
        a, fl = m["tiers"]["acted"], m["tiers"]["flagged"]
        lines.append(f"| `{m['file']}` | {m['messages']:,} | {a['precision']:.3f} | "
                     f"{a['recall']:.3f} | {fl['precision']:.3f} | {fl['recall']:.3f} | "
                     f"{fl['f1']:.3f} | {fl['clean_share']:.2%} |")
    lines += [
        "",
        "## Example scores",
        "",
        "The shipped model's score for each (the tests check it still gives these):",
        "",
        "| score | message |",
        "|---|---|",
    ]
    for text in EXAMPLES:
        lines.append(f"| {model.score(normalize(text)):.3f} | `{text}` |")
    lines += [
        "",
        "## Limits",
        "",
        "- It learned Facebook comments and tweets, not a community's chat: a short everyday "
        "message with one word those comments use as an insult (\"con bò màu nâu\") can reach "
        "review. It never punishes alone, words the rules read as everyday ones are set aside "
        "before it reads a message, and a community's dismissals teach it otherwise.",
        "- ViHSD labels much anti-government commentary as hate; the model learned that "
        "political words score high. Communities that discuss politics should expect review "
        "items there, and dismissing them teaches the model.",
        "- Vietnamese typed without marks is read less well than typed with them: few of the "
        "comments it learned from were typed so, and a plain word may stand for several (\"lon\" "
        "is a can or an insult), so a plain everyday message reaches review a little more often.",
        "- Languages: Vietnamese (with and without diacritics) and English; other languages "
        "get scores of little meaning, and the review threshold for them is the overall one.",
        "",
    ]
    return "\n".join(lines)
