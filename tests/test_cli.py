"""The CLI as a user runs it: check, eval, bench, rules validate, run."""

import json
import subprocess
import sys

from bot.cli import main


def test_check_human(capsys):
    assert main(["check", "đ.ị.t m.ẹ mày"]) == 1
    out = capsys.readouterr().out
    assert "language:   vi" in out
    assert "normalized: địt mẹ mày" in out
    assert "vi.insult.mother [insult] QĐ 874/QĐ-BTTTT, Điều 4 khoản 6" in out
    assert "span 0..13 'đ.ị.t m.ẹ mày'  confidence 0.95 (exact)" in out
    assert "Chửi bới, xúc phạm cha mẹ người khác." in out


def test_check_clean_json(capsys):
    assert main(["check", "các bạn ơi, buổi học hôm nay đủ rồi", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hits"] == [] and data["language"] == "vi"
    assert data["folded"] == "cac ban oi, buoi hoc hom nay du roi"


def test_check_json_teencode(capsys):
    main(["check", "dm thằng kia", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["expanded"] == "địt mẹ thằng kia"
    (hit,) = data["hits"]
    assert (hit["rule"], hit["via"], hit["span"], hit["confidence"]) == (
        "vi.insult.mother", "teencode", [0, 2], 0.8)


def test_check_keeps_links_as_typed_and_says_what_happens(capsys):
    assert main(["check", "xem https://Example.com/AbC_Xyz?ref=ABC nhé ĐỒ NGU"]) == 1
    out = capsys.readouterr().out
    # a link's path is case-sensitive: shown as typed; the words around it normalised
    assert "normalized: xem https://Example.com/AbC_Xyz?ref=ABC nhé đồ ngu" in out
    assert ("first offence under default settings: message removed; warn (2 points, a member "
            "with no history)") in out
    assert main(["check", "", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["language"] is None  # nothing to tell


def test_check_help_states_the_exit_codes():
    done = subprocess.run([sys.executable, "-m", "bot", "check", "--help"],
                          capture_output=True, text=True)
    assert done.returncode == 0
    assert "Exit code: 1 when it would be acted on or sent to review, 0 otherwise, 2 on an " \
           "error." in " ".join(done.stdout.split())


async def _stored_community(path, settings: dict) -> None:
    from bot.cli.common import load_engine
    from bot.service import ModerationService, open_storage

    storage = await open_storage(str(path))
    await ModerationService(storage, load_engine(None)).update_settings("-100777", "admin",
                                                                        settings)
    await storage.close()


def test_check_under_a_communitys_stored_settings(tmp_path, capsys):
    import asyncio

    db = tmp_path / "bot.db"
    asyncio.run(_stored_community(db, {"keep_message": ["insult"], "shadow": True}))
    assert main(["check", "thằng ngu", "--community", "-100777", "--database", str(db)]) == 1
    out = capsys.readouterr().out
    assert ("first offence under community -100777's settings: message kept (keep_message); "
            "warn (2 points, a member with no history) — in shadow mode, recorded only") in out
    assert main(["check", "thằng ngu", "--community", "-100999", "--database", str(db)]) == 2
    assert "no community '-100999' in the database" in capsys.readouterr().err


def test_console_script_and_module_agree():
    a = subprocess.run([sys.executable, "-m", "bot", "check", "fuck", "--json"],
                       capture_output=True, text=True)
    assert a.returncode == 1
    assert json.loads(a.stdout)["hits"][0]["rule"] == "en.obscene.profanity"


def test_eval_known_layout(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text("free_text,label_id\nthằng ngu,1\nđi ngủ thôi,0\nxin chào,0\nchó má,2\n",
                 encoding="utf-8")
    assert main(["eval", str(f), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["tp"] == 2 and data["overall"]["fp"] == 0
    assert data["overall"]["tn"] == 2 and data["overall"]["f1"] == 1.0
    assert data["precision_by_category"]["insult"] == {"flagged": 2, "precision": 1.0}


def test_eval_reads_a_file_as_one_community(tmp_path, capsys):
    """Under language auto the file is one community's messages in order: once most of them
    are read as Vietnamese, "Vcc" (no word of either language) is read as Vietnamese too;
    ``--set language=en`` reads it as a community writing English would."""
    f = tmp_path / "d.csv"
    rows = ["chào mọi người,0", "hôm nay đi đâu,0", "ăn cơm chưa,0", "mai họp lớp nhé,0",
            "ok để mình xem,0", "Vcc,1"]
    f.write_text("free_text,label_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["eval", str(f), "--json", "--model", "none"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["community_language"] == "vi" and data["overall"]["tp"] == 1
    assert main(["eval", str(f), "--json", "--model", "none", "--set", "language=en"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["community_language"] == "en" and data["overall"]["fn"] == 1


def test_eval_davidson_layout(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text(",count,hate_speech,offensive_language,neither,class,tweet\n"
                 "0,3,0,3,0,1,shut up bitch\n1,3,0,0,3,2,nice day\n2,3,3,0,0,0,you fag\n",
                 encoding="utf-8")
    main(["eval", str(f)])
    out = capsys.readouterr().out
    assert "precision 1.000  recall 1.000  F1 1.000" in out
    assert "0 (hate)" in out and "2 (neither)" in out


def test_eval_tsv_with_options(tmp_path, capsys):
    f = tmp_path / "d.tsv"
    f.write_text("msg\tlab\nfuck\tbad\nhello\tgood\n", encoding="utf-8")
    assert main(["eval", str(f), "--text-col", "msg", "--label-col", "lab",
                 "--positive", "bad", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["f1"] == 1.0


def test_eval_unknown_layout_names_the_option(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text("a,b\nx,1\n", encoding="utf-8")
    assert main(["eval", str(f)]) == 2
    assert "give --text-col (columns: a, b)" in capsys.readouterr().err
    assert main(["eval", str(f), "--text-col", "a", "--label-col", "zz", "--positive", "1"]) == 2
    assert "--label-col 'zz' is not a column" in capsys.readouterr().err


def test_bench_small_corpus(tmp_path, capsys):
    f = tmp_path / "c.txt"
    f.write_text("hello\nđịt mẹ mày\ncác bạn ơi\n", encoding="utf-8")
    assert main(["bench", str(f), "--baseline-sample", "3", "--rounds", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 3 and data["flagged"] == 1
    assert data["quytac"]["messages"] == 3 and data["better_profanity_0_7"]["messages"] == 3
    assert data["rss_mb"] > data["rss_interpreter_mb"] > 0
    assert data["startup_seconds"] > 0


def test_generated_corpus_is_mixed():
    from bot.cli.corpus import generated_corpus
    from bot.core import detect_language

    corpus = generated_corpus(2000)
    assert len(corpus) == 2000
    langs = [detect_language(m) for m in corpus]
    assert 0.5 < langs.count("vi") / len(langs) < 0.8
    assert 0.2 < langs.count("en") / len(langs) < 0.45


def test_rules_validate_shipped(capsys):
    assert main(["rules", "validate"]) == 0
    assert "0 failing examples" in capsys.readouterr().out


def test_rules_validate_reports_bad_example(tmp_path, capsys):
    (tmp_path / "clauses.yaml").write_text("clauses:\n  c: {cite: C, vi: v, en: e}\n")
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: x.y\n    category: spam\n    clause: c\n    severity: 1\n"
        "    terms: [spam]\n    explain: {vi: a, en: b}\n"
        "    examples: {match: [eggs], ok: [spam]}\n", encoding="utf-8")
    assert main(["rules", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'r.yaml'}:2: rule x.y: example should match: 'eggs'" in out
    assert f"{tmp_path / 'r.yaml'}:2: rule x.y: ok example is flagged by x.y: 'spam'" in out


def test_rules_validate_broken(tmp_path, capsys):
    (tmp_path / "clauses.yaml").write_text("clauses: [", encoding="utf-8")
    assert main(["rules", "validate", str(tmp_path)]) == 2
    assert "clauses.yaml:1" in capsys.readouterr().err


def test_run_without_token_says_what_to_set(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    assert "set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN" in capsys.readouterr().err
