"""Editors' key terms (faq `terms:`): how they match, how the check guards them, and the features they give."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import FaqError, check_settings, load_faq
from nlu.embedded import EmbeddedClassifier, EmbeddedSettings
from nlu.terms import TermMatcher
from nlu.types import TrainingExample

MATCHER = TermMatcher(
    {
        "status.tolerated": ["Duldung", "Geduldete", "60a"],
        "status.safe_country": ["sichere Herkunftsstaat"],
        "training.entry_qualification": ["EQ"],
        "training.apprenticeship_toleration": ["Ausbildungsduldung"],
    }
)


@pytest.mark.parametrize(
    "text, topics",
    [
        ("Kann ich einen Geduldeten einstellen?", ("status.tolerated",)),  # inflected form
        ("duldungsbescheinigung vorhanden", ("status.tolerated",)),  # compound starting with the term
        ("Ausbildungsduldung?", ("training.apprenticeship_toleration",)),  # compound ending with it: its own term
        ("Bewerber aus sicheren Herkunftsstaaten", ("status.safe_country",)),  # a phrase, inflected word by word
        ("Herkunftsstaat sicher?", ()),  # a phrase keeps its order
        ("EQ vor der Lehre", ("training.entry_qualification",)),
        ("equal pay for all", ()),  # short terms match whole words only
        ("Duldung nach § 60a", ("status.tolerated",)),
        ("Lohnabrechnung für Dezember", ()),
    ],
)
def test_terms_match_words_by_their_beginning(text, topics):
    assert MATCHER.matched(text) == topics


def test_any_term_sets_the_domain_column_too():
    from nlu.text import fold

    columns = MATCHER.columns(fold("Duldung und EQ"))
    assert MATCHER.domain_column in columns.tolist() and len(columns) == 3
    assert MATCHER.columns(fold("Wetter morgen")).size == 0


def test_a_field_word_sets_only_the_domain_column():
    from nlu.text import fold

    assert MATCHER.columns(fold("Flüchtling als Lagerhelfer")).tolist() == [MATCHER.domain_column]
    assert MATCHER.columns(fold("refugees in our team")).tolist() == [MATCHER.domain_column]
    assert MATCHER.matched("Flüchtling als Lagerhelfer") == ()


def test_a_word_also_found_out_of_the_field_does_not_show_the_field():
    from nlu.text import fold

    matcher = TermMatcher(
        {"permit.minijob": ["Minijob"], "status.tolerated": ["Duldung"]},
        out_of_field=["Lohnsteuer für den Minijobber abführen?", "Visum für meine Schwester"],
    )
    domain = matcher.domain_column
    # the term still names its topic, but says nothing about the field on its own
    assert matcher.matched("Minijob Urlaubsanspruch") == ("permit.minijob",)
    assert domain not in matcher.columns(fold("Minijob Urlaubsanspruch")).tolist()
    # with a word of the field, or with a term never seen out of it, the question shows the field
    assert domain in matcher.columns(fold("Minijob für eine Geflüchtete")).tolist()
    assert domain in matcher.columns(fold("Duldung?")).tolist()
    # a field word found out of the field stops counting, like a term
    assert matcher.columns(fold("Visum beantragen")).size == 0


def test_the_faq_s_generic_terms_are_the_ones_its_out_of_scope_examples_use(shared_core):
    matcher = shared_core.knowledge.current.classifier._terms
    generic = {matcher.entries[n] for n in matcher.generic}
    assert {"Minijob", "Praktikum"} <= generic
    assert not {"Duldung", "Chancenkarte", "Flüchtling"} & generic


@pytest.mark.parametrize(
    "text, named",
    [
        ("Wann kommt die Erlaubnis für Herrn Yildirim?", True),
        ("frau okonkwo hat ihren titel verlängert", True),
        ("Has Ms. Petrova's permit been renewed?", True),
        ("Meine Frau kommt aus Peru", False),  # a wife, not a case
        ("Eine Frau aus Syrien bewirbt sich", False),
        ("Frau aus Eritrea mit Duldung einstellen?", False),
        ("Frau Lange hier, wir suchen Azubis", False),  # the employer introduces herself
        ("my wife needs a visa", False),
        # third round: a salutation addresses the reader; a person talked about is still a case
        ("Hallo Herr Brandt, dürfen Asylbewerber bei uns ein Praktikum machen?", False),
        ("Guten Morgen Frau Ilić, was kostet eine Anerkennung?", False),
        ("moin herr brandt muss ein geduldeter azubi seinen wohnort melden", False),  # no comma
        ("Wie lange dauert eine Vorabzustimmung, Frau Okafor?", False),  # a vocative at the end
        ("Sehr geehrte Frau Winter, gilt die Westbalkanregelung noch?", False),
        ("Dear Mr Collins, can an asylum seeker start an apprenticeship?", False),
        ("Wir suchen zwei Lageristen. Viele Grüße, Frau Lange", False),  # the writer signs off
        ("Hallo Herr Brandt, unser Fahrer Herr Sesay hat eine Duldung bis Februar. Wird sie verlängert?", True),
        ("Guten Tag, unser Koch Herr Tekle wartet seit März auf seine Erlaubnis", True),
        ("Herr Tekle hat eine Gestattung, darf er ab Montag bei uns anfangen?", True),
        ("unsere frau haidari aus afghanistan hat post von der abh bekommen", True),
        ("Ist die Zustimmung für Herrn Sesay schon da, Frau Winter?", True),  # addressed and talked about
        ("Wann entscheidet die Behörde über den Antrag von Herrn Sesay?", True),  # "Herrn" at the end
    ],
)
def test_a_person_named_by_title_marks_one_case(text, named):
    from nlu.terms import names_a_person
    from nlu.text import fold

    assert names_a_person(text) is named
    assert (MATCHER.person_column in MATCHER.columns(fold(text), text).tolist()) is named


@pytest.mark.parametrize(
    "text", ["Frau Nouri hat ihren Titel verlängert", "Hallo Frau Schmidt darf ein Geduldeter bei uns arbeiten"]
)
def test_a_folded_text_tells_a_person_without_punctuation(text):
    from nlu.terms import names_a_person
    from nlu.text import fold

    assert names_a_person(fold(text)) is names_a_person(text)


@pytest.fixture
def faq_copy(tmp_path, config) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(config.resolve(config.faq.path), target)
    return target


def add_term(faq: Path, file: str, topic: str, term: str) -> None:
    path = faq / file
    text = path.read_text(encoding="utf-8")
    marker = f"  - id: {topic}\n    terms: ["
    assert marker in text
    path.write_text(text.replace(marker, marker + f'"{term}", ', 1), encoding="utf-8")


@pytest.mark.parametrize(
    "term, message, file",
    [
        # files load in name order, so the second owner of a term is found in status.yml
        ("Duldung", "term 'Duldung' belongs to both 'permit.temp_agency' and 'status.tolerated'", "status.yml"),
        ("eine viel zu lange Wortfolge als Begriff", "empty or too long", "permit.yml"),
        ("?!", "empty or too long", "permit.yml"),
        ("duldung arbeiten?", "is an example question of 'status.tolerated'", "permit.yml"),
    ],
)
def test_the_check_names_a_bad_term_with_its_line(faq_copy, config, term, message, file):
    add_term(faq_copy, "permit.yml", "permit.temp_agency", term)
    with pytest.raises(FaqError) as caught:
        load_faq(faq_copy, check_settings(config))
    errors = [i for i in caught.value.issues if i.severity == "error"]
    assert len(errors) == 1 and message in errors[0].message, errors
    assert errors[0].file.name == file and errors[0].line


def test_terms_reach_the_classifier_as_term_examples(shared_core):
    faq = shared_core.knowledge.current.faq
    terms = [e for e in faq.training_examples() if e.kind == "term"]
    assert TrainingExample("Duldung", "status.tolerated", "", kind="term") in terms
    assert sum(len(t.terms) for t in faq.topics.values()) == len(terms)


TOY = (
    [
        TrainingExample(text, label, "de")
        for label, texts in {
            "a.tolerated": [
                "darf jemand mit duldung arbeiten",
                "geduldete im betrieb",
                "duldung und job",
                "arbeit mit duldung",
            ],
            "a.internship": [
                "praktikum im betrieb",
                "darf ein praktikant kommen",
                "schülerpraktikum bei uns",
                "praktikum erlaubt",
            ],
            "out_of_scope": ["wetter morgen", "lohnabrechnung im betrieb", "steuer abgeben", "urlaub planen"],
        }.items()
        for text in texts
    ]
    + [TrainingExample(t, "a.tolerated", "", kind="term") for t in ("Duldung", "Geduldete")]
    + [
        TrainingExample("Praktikum", "a.internship", "", kind="term"),
        TrainingExample("hello there", "out_of_scope", "en"),
    ]
)


@pytest.mark.parametrize("text", ["Geduldeter im Betrieb?", "Praktikum und Duldung", "Wetter", ""])
def test_fast_inference_with_term_features_equals_sklearn(text):
    classifier = EmbeddedClassifier(TOY, EmbeddedSettings(term_weight=0.7, domain_weight=0.4, calibration_folds=2))
    expected = classifier._model.predict_proba(classifier.features([text]))[0]
    np.testing.assert_allclose(classifier.probabilities(text), expected, rtol=1e-4, atol=1e-6)
    assert classifier.classify_sync(text).term_topics == classifier._terms.matched(text)


def test_without_terms_in_the_faq_the_classifier_reports_none():
    plain = [e for e in TOY if e.kind != "term"]
    assert EmbeddedClassifier(plain, EmbeddedSettings(calibration_folds=2)).classify_sync("duldung").term_topics is None
