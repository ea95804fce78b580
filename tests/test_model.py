"""The learned stage: its features and scores in C against the Python reference, model files,
training from a labelled file, and what the engine does with the score."""

import csv
import json
import random
import re
from array import array

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core import CommunityPolicy, Engine, normalize
from bot.core.features import count_words_py, delta_py, features_py, logit_py
from bot.core.learned import Example, Overlay, replay, step
from bot.core.model import Model, ModelError, Thresholds, default_model, load_model, parse_model
from bot.core.normalize import fold

try:
    from bot.core import _score as C
except ImportError:  # pragma: no cover - only where no compiler built it
    C = None

needs_c = pytest.mark.skipif(C is None, reason="bot.core._score was not compiled here")
BITS = 12


def _weights(seed: int = 1, bits: int = BITS) -> bytes:
    rng = random.Random(seed)
    return array("f", [rng.uniform(-2, 2) for _ in range(1 << bits)]).tobytes()


PIECES = ["địt", "mẹ", "mày", "các", "bạn", "ơi", "dm", "lol", "hello", "world", "ｆｕｃｋ",
          "2024", "x²", "½", "٣", "Ⅷ", "😂", "\u200b", "đ.ị.t", " ", "  ", ",", "-", "_", "ß",
          "İ", "ǅ", "a" * 30, "Hòa", "thủy"]
texts = st.one_of(st.text(max_size=60),
                  st.lists(st.sampled_from(PIECES), max_size=80).map(" ".join))


@needs_c
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_c_features_and_score_are_the_python_reference(text):
    n = normalize(text)
    scorer = C.Scorer(_weights(), BITS, 0.25)
    assert scorer.features(n.exact, n.folded) == features_py(n.exact, n.folded, BITS)
    floats = memoryview(_weights()).cast("f")
    expected = logit_py(features_py(n.exact, n.folded, BITS), floats, 0.25)
    assert scorer.logit(n.exact, n.folded) == pytest.approx(expected, abs=1e-9)
    assert C.count_words(n.folded) == count_words_py(n.folded)


@needs_c
def test_c_reads_every_bmp_character_as_the_reference():
    scorer = C.Scorer(_weights(), BITS, 0.0)
    for code in range(0x10000):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        for text in (f"a{ch}b c", f"{ch}{ch} x", f"x {ch}"):
            assert scorer.features(text, text) == features_py(text, text, BITS), hex(code)
            assert C.count_words(text) == count_words_py(text), hex(code)


@needs_c
@settings(max_examples=500, deadline=None)
@given(texts, st.dictionaries(st.integers(0, (1 << BITS) - 1),
                              st.floats(-5, 5, allow_nan=False), max_size=200))
def test_c_adds_a_communitys_learned_weights_as_the_reference(text, learned):
    n = normalize(text)
    overlay = Overlay(learned)
    scorer = C.Scorer(_weights(), BITS, 0.0)
    base, delta = scorer.logits(n.exact, n.folded, overlay.keys, overlay.vals)
    buckets = features_py(n.exact, n.folded, BITS)
    # (the table holds float32: the sum is the reference's to float32 precision)
    assert delta == pytest.approx(delta_py(buckets, overlay.weights), abs=1e-4)
    assert base == pytest.approx(logit_py(buckets, memoryview(_weights()).cast("f"), 0.0))


def test_a_forged_message_reads_a_bounded_number_of_words():
    n = normalize("word " * 5000)
    assert len(features_py(n.exact, n.folded, BITS)) == 64 + 63  # words and pairs, capped


def _model(**thresholds) -> Model:
    return Model(BITS, -1.0, _weights(), Thresholds(**thresholds), {"note": "test"})


def test_model_files_round_trip(tmp_path):
    model = _model(review=0.7, review_by_language=(("vi", 0.6),), min_words=3)
    path = tmp_path / "m.qtm"
    model.save(path)
    again = load_model(path)
    assert (again.bits, again.bias, again.weights) == (model.bits, model.bias, model.weights)
    assert again.thresholds == model.thresholds and again.info == {"note": "test"}
    assert again.review_for("vi") == 0.6 and again.review_for("en") == 0.7


def test_bad_model_files_say_which_file_and_what_is_wrong(tmp_path):
    path = tmp_path / "bad.qtm"
    path.write_bytes(b"not a model\n")
    with pytest.raises(ModelError, match=r"bad\.qtm: not a quytac model file"):
        load_model(path)
    good = _model().header()
    path.write_bytes(json.dumps({**good, "features": "features/0"}).encode() + b"\n")
    with pytest.raises(ModelError, match="trained on features 'features/0'.*retrain"):
        load_model(path)
    path.write_bytes(json.dumps(good).encode() + b"\n" + b"\0" * 10)
    with pytest.raises(ModelError, match="expected 16384 bytes of weights"):
        load_model(path)
    with pytest.raises(ModelError, match="more than a model may have"):
        parse_model(b"x" * (9 * 2**20), "huge.qtm")
    with pytest.raises(ModelError, match="missing.qtm: cannot read"):
        load_model(tmp_path / "missing.qtm")


def test_the_shipped_model_loads_and_scores_its_cards_examples():
    """The model card lists example messages with the score the shipped model gives each."""
    from importlib import resources

    model = default_model()
    assert model is not None
    card = (resources.files("bot.models") / "MODEL_CARD.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (0\.\d{3}) \| `([^`]+)` \|", card, re.MULTILINE)
    assert len(rows) >= 10
    for score, text in rows:
        assert round(model.score(normalize(text)), 3) == float(score), text
    assert model.header()["trained"]["files"], "the card's data: the model says what it read"


def _labelled(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["message", "verdict"])
        w.writerows(rows)


def _generated(seed: int, size: int) -> list[tuple[str, str]]:
    """A small made-up set: rude phrases built from a few words nobody's ruleset lists."""
    rng = random.Random(seed)
    rude = ["mày là đồ rùa rụt cổ", "thằng này rùa rụt cổ thật", "lũ rùa rụt cổ", "đồ rùa bò",
            "you wobbly turnip", "what a wobbly turnip", "shut it turnip head"]
    kind = ["hôm nay trời đẹp quá", "các bạn ơi đi ăn không", "cảm ơn bạn nhiều nhé",
            "see you tomorrow", "the meeting is at noon", "con rùa nhà mình bò chậm lắm",
            "turnip soup for dinner", "mình thích ăn củ cải"]
    rows = []
    for _ in range(size):
        bad = rng.random() < 0.3
        text = rng.choice(rude if bad else kind)
        rows.append((text + rng.choice(["", " nhé", " !", " đấy", " lol"]), "bad" if bad else "ok"))
    return rows


def test_training_on_a_small_set_gives_a_model_that_learned_it(tmp_path, capsys):
    data = tmp_path / "small.csv"
    _labelled(data, _generated(1, 1200))
    out = tmp_path / "small.qtm"
    code = main(["model", "train", str(data), "--text-col", "message", "--label-col", "verdict",
                 "--positive", "bad", "--bits", "14", "--c", "4", "--output", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"wrote {out}" in printed and "held-out part" in printed
    model = load_model(out)
    assert model.bits == 14 and model.info["trained"]["files"][0]["rows"] == 1200
    assert model.info["trained"]["fit_rows"] + model.info["trained"]["held_out_rows"] == 1200
    rude = model.score(normalize("mày đúng là rùa rụt cổ"))
    kind = model.score(normalize("con rùa nhà mình dễ thương"))
    assert rude > 0.8 > 0.2 > kind
    # and the engine, with no rule for these words, sends the rude one to review
    engine = Engine.load(model=model)
    hit = [h for h in engine.check("mày đúng là rùa rụt cổ").hits]
    assert [h.rule_id for h in hit] == ["model.violation"] and hit[0].via == "model"
    assert engine.check("con rùa nhà mình dễ thương").hits == ()


def test_violations_typed_without_marks_count_as_often_as_those_typed_with_them(tmp_path,
                                                                                capsys):
    """A data set whose comments typed without marks are harsher (ViHSD: 23% offensive against
    17%) would teach the model that every word typed plain is suspect; training weights those
    violations down to the share of the ones typed with marks, in the fit and in tuning."""
    from bot.train.data import Row
    from bot.train.fit import _plain_factor, _typing

    rows = [Row("thang nay that la rua rut co", "bad", True),  # Vietnamese typed plain
            Row("thằng này rùa rụt cổ", "bad", True),  # ... with its marks
            Row("see you tomorrow", "ok", False)]  # English: neither
    plain, marked = _typing(rows)
    assert plain.tolist() == [True, False, False] and marked.tolist() == [False, True, False]
    # 40% of the plain rows are violations, 20% of the marked ones: a plain violation counts
    # for 0.2 * 0.6 / (0.8 * 0.4) = 0.375 of one, and the plain rows come to 20% too
    positive = np.array([True] * 4 + [False] * 6 + [True] * 2 + [False] * 8)
    plain = np.array([True] * 10 + [False] * 10)
    factor = _plain_factor(positive, plain, ~plain)
    assert factor == pytest.approx(0.375)
    assert 4 * factor / (4 * factor + 6) == pytest.approx(0.2)
    # plain typing no harsher, or nothing to compare with: nothing to undo
    assert _plain_factor(positive, ~plain, plain) == 1.0
    assert _plain_factor(positive, plain, np.zeros(20, dtype=bool)) == 1.0

    rng = random.Random(3)
    data = []
    for i in range(1500):
        typed_plain = rng.random() < 0.5
        bad = rng.random() < (0.4 if typed_plain else 0.2)
        text = rng.choice(["thằng này rùa rụt cổ", "đồ rùa bò"] if bad
                          else ["hôm nay trời đẹp quá", "các bạn ơi đi ăn không"])
        data.append((f"{fold(text) if typed_plain else text} {i}", "bad" if bad else "ok"))
    _labelled(tmp_path / "plain.csv", data)
    out = tmp_path / "plain.qtm"
    assert main(["model", "train", str(tmp_path / "plain.csv"), "--text-col", "message",
                 "--label-col", "verdict", "--positive", "bad", "--bits", "14", "--c", "4",
                 "--output", str(out)]) == 0, capsys.readouterr().err
    assert 0.25 < load_model(out).info["trained"]["plain_factor"] < 0.55
    # the small set of the test above has no Vietnamese typed plain: its violations count as one
    _labelled(tmp_path / "small.csv", _generated(1, 600))
    assert main(["model", "train", str(tmp_path / "small.csv"), "--text-col", "message",
                 "--label-col", "verdict", "--positive", "bad", "--bits", "14", "--c", "4",
                 "--output", str(out)]) == 0
    assert load_model(out).info["trained"]["plain_factor"] == 1.0


def test_training_refuses_what_it_cannot_use(tmp_path, capsys):
    data = tmp_path / "one-sided.csv"
    _labelled(data, [(f"hello there {i}", "ok") for i in range(200)])
    assert main(["model", "train", str(data), "--text-col", "message", "--label-col", "verdict",
                 "--positive", "bad", "--output", str(tmp_path / "x.qtm")]) == 2
    assert "need both violations and clean messages" in capsys.readouterr().err
    assert main(["model", "train", str(data), "--text-col", "nope", "--label-col", "verdict",
                 "--positive", "bad"]) == 2
    assert "--text-col 'nope' is not a column (columns: message, verdict)" in (
        capsys.readouterr().err)


def _engine_with(thresholds: Thresholds, bits: int = BITS, weights: bytes | None = None,
                 bias: float = 0.0) -> Engine:
    return Engine.load(model=Model(bits, bias, weights or bytes(4 << bits), thresholds))


def _with_word(word: str, weight: float, bits: int = BITS) -> bytes:
    """Weights that give ``word`` (as a feature) the weight, every other bucket nothing."""
    w = array("f", bytes(4 << bits))
    n = normalize(word)
    for b in features_py(n.exact, n.folded, bits):
        w[b] = weight
    return w.tobytes()


def test_a_word_hit_the_model_finds_implausible_goes_to_review_never_away():
    # a model that scores everything very low: "thằng ngu" (0.9) is demoted, to review at most
    engine = _engine_with(Thresholds(review=0.99, implausible=0.3, demote_slope=2, demote_cap=3),
                          bias=-6.0)
    (hit,) = engine.check("thằng ngu").hits
    assert 0.4 <= hit.confidence < 0.6
    assert engine.check("thằng ngu").model.changed == (("vi.insult.stupid", 0.9, hit.confidence),)
    # a hit already below the floor stays where it is
    (low,) = engine.check("đẹp vl").hits
    assert low.confidence == 0.35


def test_the_model_alone_sends_to_review_and_reads_without_the_words_rules_call_everyday():
    weights = _with_word("dm", 8.0)
    engine = _engine_with(Thresholds(review=0.5, min_words=1), weights=weights, bias=-3.0)
    # in English "dm" is a direct message: the rules say so, and the model reads without it
    verdict = engine.check("dm me the link")
    assert verdict.hits == ()
    note = engine.check("dm me the link", note=True).model
    assert note.set_aside == ("dm",) and note.score < 0.5
    # an unlisted message the model scores high goes to review as the model's own hit
    (hit,) = engine.check("thằng đó dm").hits
    assert hit.rule_id in ("model.violation", "vi.insult.mother")
    # a community's own threshold, and a community that turned the model's hits off
    quiet = CommunityPolicy(model_review=0.999)
    assert all(h.via != "model" for h in engine.check("thằng đó đúng là dm", quiet).hits)


def test_a_listed_word_typed_plain_is_no_hit_but_the_model_reads_it():
    # "lon" is "lồn" typed without its mark, or a can: to the rules the everyday word (no hit);
    # the model reads it with the words around it (here a model that knows "vai lon")
    weights = array("f", bytes(4 << BITS))
    pair = (set(features_py("vai lon", "vai lon", BITS)) - set(features_py("vai", "vai", BITS))
            - set(features_py("lon", "lon", BITS)))
    for b in pair:  # the pair alone, not either word
        weights[b] = 8.0
    engine = _engine_with(Thresholds(review=0.5, min_words=1), weights=weights.tobytes(),
                          bias=-3.0)
    note = engine.check("so vai lon", note=True).model
    assert note.set_aside == () and note.read[0] == "so vai lon"
    assert [h.rule_id for h in engine.check("so vai lon").hits] == ["model.violation"]
    assert engine.check("mua hai lon bia").hits == ()
    # a word the rules list without marks in a message typed without any ("ngu" may be "ngủ")
    # is still set aside: "di ngu thoi" is going to sleep
    assert engine.check("di ngu thoi", note=True).model.set_aside == ("ngu",)
    assert _engine_with(Thresholds(review=0.5, min_words=1), weights=_with_word("ngu", 8.0),
                        bias=-3.0).check("di ngu thoi").hits == ()


def test_a_phrase_the_rules_call_everyday_is_no_evidence_for_the_model():
    # the rules' exception phrases ("điên mất", "con chó nhà") are everyday chat: the model reads
    # the message without them, typed with marks or without, even where no listed word in them
    # was typed so that a rule would have read it ("dien" is no hit for the rules)
    plain = _engine_with(Thresholds(review=0.5, min_words=1), weights=_with_word("dien", 8.0),
                         bias=-3.0)
    assert [h.rule_id for h in plain.check("dien that").hits] == ["model.violation"]
    assert plain.check("dien mat thoi").hits == ()
    note = plain.check("dien mat thoi", note=True).model
    assert note.set_aside == ("dien mat",) and note.score < 0.5
    dog = _engine_with(Thresholds(review=0.5, min_words=1), weights=_with_word("chó", 8.0),
                       bias=-2.5)
    assert [h.rule_id for h in dog.check("con chó kia").hits] == ["model.violation"]
    assert dog.check("con chó nhà mình đẻ").hits == ()


def test_words_set_aside_still_count_as_words_read():
    """An everyday word the rules set aside weighs nothing, but it was read: the rest of the
    message is not judged as if it stood alone ("mẹ nhớ con" is not "con")."""
    model = Model(BITS, -4.0, _with_word("con", 8.0))
    whole, kept = normalize("mẹ nhớ con"), normalize("       con")
    z, _ = model.logits_set_aside(kept.exact, kept.folded, whole.folded)
    assert z == pytest.approx(-4.0 + 8.0 / 5 ** 0.5)  # "con" over the 5 features of the whole
    assert model.logits_of(kept.exact, kept.folded)[0] == pytest.approx(-4.0 + 8.0)
    # nothing set aside: the same as reading the text
    assert model.logits_set_aside(whole.exact, whole.folded, whole.folded)[0] == pytest.approx(
        model.logits_of(whole.exact, whole.folded)[0])
    # through the engine, with a model whose data met "mẹ" and "con" in curses: a family's "mẹ
    # nhớ" is everyday, and what is left is no violation
    weights = array("f", _with_word("con", 8.0))
    for b, w in enumerate(array("f", _with_word("mẹ", 8.0))):
        weights[b] = weights[b] or w
    engine = _engine_with(Thresholds(review=0.5, min_words=1), weights=weights.tobytes(),
                          bias=-4.0)
    assert [h.rule_id for h in engine.check("con kia").hits] == ["model.violation"]
    assert engine.check("mẹ nhớ con").hits == ()
    assert engine.check("mẹ nhớ con", note=True).model.set_aside == ("mẹ nhớ",)


def test_short_messages_are_not_judged_by_the_model_alone():
    weights = _with_word("turnip", 8.0)
    engine = _engine_with(Thresholds(review=0.5, min_words=3), weights=weights, bias=-3.0)
    assert engine.check("turnip").hits == ()
    assert [h.rule_id for h in engine.check("you are turnip").hits] == ["model.violation"]


def test_learning_moves_a_phrase_in_log_odds_and_replays_the_same():
    examples = [Example((1, 2, 3), 0.2, 0), Example((1, 2, 3), 0.2, 0), Example((4, 5), -2.0, 1)]
    weights = {}
    for e in examples:
        weights = step(weights, e)
    assert replay(examples) == weights
    overlay = Overlay(weights)
    assert overlay.delta((1, 2, 3)) < -0.6  # twice dismissed: clearly lower
    assert overlay.delta((4, 5)) > 0.5  # once confirmed: higher
    assert overlay.delta((9,)) == 0.0  # elsewhere: nothing
