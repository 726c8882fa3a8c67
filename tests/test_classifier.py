"""The embedded classifier on fresh questions (written for these tests, not taken from any FAQ or evaluation file)."""

from __future__ import annotations

import pytest

from bot.decision import Route
from nlu.text import fold


def test_folding_makes_spelling_variants_equal():
    assert fold("Beschäftigungserlaubnis") == fold("Beschaeftigungserlaubnis") == fold("beschaftigungserlaubnis")
    assert fold("Straße?!") == fold("strasse")
    assert fold("  Darf   ER arbeiten??? ") == "darf er arbeiten"


def test_training_covers_every_topic_and_route(shared_core):
    classifier = shared_core.knowledge.current.classifier
    labels = set(classifier.labels)
    assert set(shared_core.knowledge.current.faq.topics) <= labels
    assert {"authority", "coordinator", "out_of_scope", "smalltalk"} <= labels


async def test_confidences_are_ranked_probabilities(shared_core):
    result = await shared_core.knowledge.current.classifier.classify("Darf ein Geduldeter bei uns arbeiten?")
    confidences = [s.confidence for s in result.ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert 0.5 < sum(confidences) <= 1.0001


FRESH = [
    # (question, language, expected topic or route)
    ("Wir haben einen Bewerber mit Duldung. Kann der bei uns im Lager anfangen?", "de", "status.tolerated"),
    ("darf jemand mit aufenthaltsgestattung eigentlich schon arbeiten", "de", "status.asylum_seeker"),
    ("Brauchen Ukrainer mit Schutzstatus nach § 24 eine extra Arbeitserlaubnis?", "de", "status.ukraine"),
    (
        "Was kostet die Anerkennung eines ausländischen Berufsabschlusses und wie lange dauert sie?",
        "de",
        "recognition.duration_costs",
    ),
    (
        "Zahlt das Arbeitsamt etwas dazu, wenn wir eine geflüchtete Frau als Küchenhilfe anstellen?",
        "de",
        "funding.integration_grant",
    ),
    ("Wie hoch muss das Gehalt für die Blaue Karte EU sein?", "de", "fachkraefte.blue_card"),
    ("Was ist die Chancenkarte?", "de", "fachkraefte.opportunity_card"),
    (
        "Can a person with a Duldung start an apprenticeship and stay for the whole training?",
        "en",
        "training.apprenticeship_toleration",
    ),
    ("What is the EU Blue Card salary threshold?", "en", "fachkraefte.blue_card"),
    ("Is there a wage subsidy for hiring a refugee?", "en", "funding.integration_grant"),
    ("What do I have to check on the residence permit before I hire someone?", "en", "permit.check_documents"),
    ("What happens to my data in this chat?", "en", "bot.privacy"),
    (
        "Bitte prüfen Sie, ob die Beschäftigungserlaubnis von unserem Mitarbeiter Herrn Haddad schon erteilt wurde.",
        "de",
        "route:authority",
    ),
    ("Could someone from the network visit our company and advise us?", "en", "route:coordinator"),
    ("Wie wird das Wetter morgen?", "de", "route:out_of_scope"),
    ("Vielen Dank, das hat mir geholfen!", "de", "route:smalltalk"),
]


@pytest.mark.parametrize("question, lang, expected", FRESH, ids=[q[:40] for q, _, _ in FRESH])
async def test_fresh_questions_are_routed_right(core, question, lang, expected):
    understood = await core.dialogue.understand(question)
    decision = understood.decision
    assert understood.lang == lang
    if expected.startswith("route:"):
        assert decision.route.value == expected.removeprefix("route:"), decision.reason
    else:
        # Answered with the right topic, or at worst asked back with it among the choices: never a wrong answer.
        assert decision.route in (Route.ANSWER, Route.CLARIFY), decision.reason
        assert decision.faq_id == expected or expected in [c.label for c in decision.candidates], decision.reason
        assert not (decision.route is Route.ANSWER and decision.faq_id != expected)


@pytest.mark.parametrize(
    "text",
    [
        "Darf ein Geduldeter als Lehrling anfangen?",
        "blue card salary 2026",
        "xyz",
        "",
        "Beschäftigungsduldung und Ausbildungsduldung nach § 60a, Blaue Karte",
    ],
)
def test_fast_inference_equals_sklearn(trained_in_process, text):
    """The plain-numpy inference path (term features included) must give exactly what scikit-learn's
    predict_proba gives on the features training built."""
    import numpy as np

    classifier = trained_in_process
    features = classifier.features([text])
    expected = classifier._model.predict_proba(features)[0]
    np.testing.assert_allclose(classifier.probabilities(text), expected, rtol=1e-4, atol=1e-6)
    lang_expected = classifier._lang_model.predict_proba(classifier._lang_vectorizer.transform([text]))[0]
    lang, confidence = classifier.language(text)
    assert lang == classifier._lang_model.classes_[int(np.argmax(lang_expected))]
    assert confidence == pytest.approx(float(lang_expected.max()), abs=1e-5)


@pytest.fixture(scope="module")
def trained_in_process(shared_core):
    """The real FAQ's classifier trained in this process, with scikit-learn's objects kept to compare."""
    from nlu.embedded import EmbeddedClassifier

    current = shared_core.knowledge.current
    return EmbeddedClassifier(current.faq.training_examples(), current.classifier.settings)


def test_the_serving_model_is_what_training_gives(shared_core, trained_in_process):
    """The bot's model came from a child process and the cache; it ranks exactly like one trained here."""
    serving = shared_core.knowledge.current.classifier
    assert type(serving).__name__ == "EmbeddedModel"  # no scikit-learn objects in the serving process
    assert serving.labels == trained_in_process.labels
    for text in ("Darf ein Geduldeter als Lehrling anfangen?", "blue card salary 2026", "Wetter morgen"):
        ours, theirs = serving.classify_sync(text), trained_in_process.classify_sync(text)
        assert [s.label for s in ours.ranking] == [s.label for s in theirs.ranking]
        assert [s.confidence for s in ours.ranking] == pytest.approx([s.confidence for s in theirs.ranking], abs=1e-5)
        assert ours.lang == theirs.lang and ours.term_topics == theirs.term_topics


@pytest.mark.parametrize("text", ["", "a", "Ab  c\tDEF  ghij", "§ 16a AufenthG", "Grüße, 😀 Ärger!", "x" * 30])
@pytest.mark.parametrize("ngram_range,lowercase", [((2, 4), False), ((1, 3), True), ((3, 3), True)])
def test_fast_char_ngrams_equal_sklearns(text, ngram_range, lowercase):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlu.embedded import analyzer_of

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=lowercase, sublinear_tf=True)
    assert analyzer_of(vectorizer).ngrams()(text) == vectorizer.build_analyzer()(text)


@pytest.mark.parametrize("text", ["", "a", "Ab  c\tDEF  ghij", "§ 16a AufenthG", "Grüße, 😀 Ärger!", "eins zwei drei"])
@pytest.mark.parametrize("ngram_range,lowercase", [((1, 2), False), ((1, 1), True), ((2, 3), True), ((1, 3), False)])
@pytest.mark.parametrize("token_pattern", [r"(?u)\b\w+\b", r"(?u)\b\w\w+\b"])
def test_plain_word_ngrams_equal_sklearns(text, ngram_range, lowercase, token_pattern):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlu.embedded import analyzer_of

    vectorizer = TfidfVectorizer(
        analyzer="word", ngram_range=ngram_range, lowercase=lowercase, token_pattern=token_pattern, sublinear_tf=True
    )
    assert analyzer_of(vectorizer).ngrams()(text) == vectorizer.build_analyzer()(text)


@pytest.mark.parametrize("weight,expected", [(1e6, "en"), (-1e6, "de")])
def test_the_language_model_stays_finite_on_extreme_scores(weight, expected):
    """An editor's odd training text can give a huge score: the language is still decided, never an overflow."""
    import numpy as np

    from nlu.model import Analyzer, FeatureBlock, LanguageModel

    block = FeatureBlock(Analyzer("word", 1, 1, True), ["visa"], np.ones(1))
    model = LanguageModel(block, np.array([weight]), 0.0, ("de", "en"))
    assert model("visa visa") == (expected, pytest.approx(1.0))
