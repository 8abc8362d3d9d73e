from core.tokenizer import STOP_WORDS, stem, tokenize


def test_lowercases_and_drops_stop_words():
    assert tokenize("How do I PURIFY the Water?") == ["purify", "water"]


def test_light_stemming_joins_inflections():
    assert tokenize("boiling boiled boils boil") == ["boil"] * 4
    assert stem("berries") == "berry"
    assert stem("matches") == "match"
    assert stem("glass") == "glass"


def test_accents_fold_and_punctuation_splits():
    assert tokenize("Café-style") == ["cafe", "style"]


def test_only_stop_words_give_nothing():
    assert tokenize("what is the") == []
    assert "the" in STOP_WORDS


def test_same_function_on_both_sides():
    passage = tokenize("Signals: three fires in a triangle")
    query = tokenize("signal fire triangles")
    assert set(query) <= set(passage)
