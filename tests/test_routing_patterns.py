"""The failure patterns of issue 13, on fresh questions written for these tests (not in any FAQ or
evaluation file): adjacent questions out of the field, salient legal terms, hand-over phrased as facts
about one case, short questions."""

from __future__ import annotations

import pytest

from bot.decision import Route

OUT_OF_THE_FIELD = [
    ("Bis wann muss die Lohnsteueranmeldung für November beim Finanzamt sein?", "de"),
    ("Mein Bruder möchte sich einbürgern lassen, was braucht er dafür?", "de"),
    ("Gibt es einen Zuschuss für eine neue Kühltheke in meiner Metzgerei?", "de"),
    ("Kurzarbeitergeld für die Wintermonate beantragen, wie?", "de"),
    ("Wie hoch ist der Beitragssatz zur Arbeitslosenversicherung für Arbeitgeber?", "de"),
    ("When is the monthly payroll tax return due?", "en"),
    ("My fiancée lives in Peru, how can she come to Germany so we can marry?", "en"),
    ("Is there funding for a new website for my shop?", "en"),
    ("How many sick days can an employee take before the health insurer pays?", "en"),
    # second round: words of the field used for something else (a mini-job, an apprentice, a visa)
    ("Lohnsteuerjahresausgleich für meine Angestellten, muss ich den machen?", "de"),
    ("Wie viel Urlaub steht meiner Auszubildenden im ersten Jahr zu?", "de"),
    ("Meine Tochter sucht nach dem Abi einen Ausbildungsplatz als Tischlerin, wo soll sie suchen?", "de"),
    ("Förderung für eine neue Spülmaschine in der Gastroküche?", "de"),
    ("Mein Mann ist Kolumbianer, wie wird er eingebürgert?", "de"),
    ("Krankenkassenbeiträge für Werkstudenten, wie hoch?", "de"),
    ("how much holiday does my apprentice get in the first year", "en"),
    ("my son wants to find a training place as a carpenter, where should he look", "en"),
    ("is there a grant for a new dishwasher in my restaurant", "en"),
    ("my wife is from Vietnam, how does she get a German passport", "en"),
]


@pytest.mark.parametrize("question, lang", OUT_OF_THE_FIELD, ids=[q[:40] for q, _ in OUT_OF_THE_FIELD])
async def test_adjacent_questions_out_of_the_field_are_declined(core, question, lang):
    understood = await core.dialogue.understand(question)
    assert understood.decision.route is Route.OUT_OF_SCOPE, understood.decision.reason
    assert understood.lang == lang


SALIENT_TERMS = [
    ("Ein Bewerber hat eine Duldung – darf der bei uns in der Werkstatt anpacken?", "status.tolerated"),
    ("Geduldete einstellen erlaubt?", "status.tolerated"),
    ("Wir würden gern eine Geduldete als Verkäuferin in unserer Bäckerei nehmen, geht das?", "status.tolerated"),
    ("May a person with a Duldung work in our plant?", "status.tolerated"),
    ("Duldung?", "status.tolerated"),
    ("Chancenkarte", "fachkraefte.opportunity_card"),
    ("Beschäftigungsduldung", "training.employment_toleration"),
    ("Westbalkanregelung?", "fachkraefte.western_balkans"),
    ("opportunity card?", "fachkraefte.opportunity_card"),
    # second round
    ("Wir haben eine Bewerberin mit Duldung für die Pflege, darf die bei uns im Haus anfangen?", "status.tolerated"),
    ("hat ne duldung, darf ich den im lager beschäftigen", "status.tolerated"),
    ("can we employ a tolerated person in our workshop", "status.tolerated"),
    ("Darf jemand mit Aufenthaltsgestattung bei uns im Betrieb mitarbeiten?", "status.asylum_seeker"),
    ("How does recognition of a foreign degree work?", "recognition.overview"),
    ("anerkennung von ausländischem berufsabschluss wie geht das", "recognition.overview"),
    ("Gestattung?", "status.asylum_seeker"),
    ("Spurwechsel", "status.change_of_track"),
    ("blaue karte", "fachkraefte.blue_card"),
    ("Fiktionsbescheinigung?", "permit.document_expiry"),
    # third round: how recognition works is the overview, not where to apply or what it costs
    ("Wie läuft die Anerkennung eines im Ausland erworbenen Abschlusses?", "recognition.overview"),
    ("How does the recognition of a foreign diploma work?", "recognition.overview"),
    ("wie läuft das mit der anerkennung von einem ausländischen diplom", "recognition.overview"),
]


@pytest.mark.parametrize("question, topic", SALIENT_TERMS, ids=[q[:40] for q, _ in SALIENT_TERMS])
async def test_a_salient_term_is_answered_directly(core, question, topic):
    decision = (await core.dialogue.understand(question)).decision
    assert (decision.route, decision.faq_id) == (Route.ANSWER, topic), decision.reason


@pytest.mark.parametrize(
    "question",
    [
        "Wie läuft eigentlich die Anerkennung eines ausländischen Diploms?",
        "wie läuft die anerkennung eines gesellenbriefs",
    ],
)
async def test_how_recognition_works_is_not_answered_with_its_costs(core, question):
    """Third round: the overview, or a clarification that offers it first; never the costs and duration topic."""
    decision = (await core.dialogue.understand(question)).decision
    assert decision.candidates[0].label == "recognition.overview", decision.reason


HAND_OVER_FACTS = [
    (
        "Für unsere Küchenkraft Herrn Rahmani läuft seit Juli ein Verfahren bei der Ausländerbehörde. "
        "Gibt es schon einen Stand?"
    ),
    "Unsere Mitarbeiterin Frau Nouri hat die Verlängerung ihres Titels beantragt. Wann kommt der Bescheid?",
    "Bei unserem Lageristen Herrn Okoye wurde die Zustimmung der Arbeitsagentur angefragt, ist sie schon da?",
    "The authority opened a procedure for our driver Mr. Haidar in March. What is the status?",
    "Our employee Ms. Amadi applied for her permit extension in June, has it been decided yet?",
    # second round
    "Unsere Azubine Frau Sahin hat einen Brief bekommen, dass ihre Duldung nicht verlängert wird. Was können wir tun?",
    "Für Herrn Barre haben wir im August die Erlaubnis beantragt. Liegt schon etwas vor?",
    "Our cook Mr. Haile's application was filed in May; when will the authority decide?",
    "The permit for our driver Mr Kamara expired last week and his appointment is next month, may he keep working?",
    # third round: greeting the reader does not hide the person talked about
    "Hallo Frau Brandt, unser Helfer Herr Sesay hat eine Duldung bis Februar. Wird sie bei ihm verlängert?",
    "Guten Tag Herr Vogel, für unsere Köchin Frau Abebe haben wir im Mai die Erlaubnis beantragt. Gibt es einen Stand?",
]


@pytest.mark.parametrize("question", HAND_OVER_FACTS, ids=[q[:40] for q in HAND_OVER_FACTS])
async def test_one_named_persons_case_goes_to_the_authority(core, question):
    decision = (await core.dialogue.understand(question)).decision
    assert decision.route is Route.AUTHORITY, decision.reason


SHORT_OUT_OF_THE_FIELD = ["Einbürgerung?", "Kurzarbeit?", "Lohnsteuer", "Elterngeld", "Steuerklasse"]


@pytest.mark.parametrize("question", SHORT_OUT_OF_THE_FIELD)
async def test_a_short_question_out_of_the_field_is_declined(core, question):
    decision = (await core.dialogue.understand(question)).decision
    assert decision.route is Route.OUT_OF_SCOPE, decision.reason


STATUS = {"status.asylum_seeker", "status.tolerated", "status.recognized"}
NAMING_ONLY = [
    ("Kosovo?", {"fachkraefte.western_balkans", "status.safe_country"}),
    ("Aufenthaltstitel?", {"permit.check_documents", "permit.document_expiry"}),
    # third round: a country alone is asked back with the status topics (bot/countries.py)
    ("Syrien?", STATUS),
    ("und aus Eritrea?", STATUS),
    ("Afghanistan", STATUS),
    ("what about Somalia?", STATUS),
    ("Indien?", {"fachkraefte.overview", "recognition.overview"}),
    ("Albanien?", {"fachkraefte.western_balkans", "status.safe_country"}),
]


@pytest.mark.parametrize("question, expected", NAMING_ONLY, ids=[q for q, _ in NAMING_ONLY])
async def test_a_question_only_naming_a_country_or_document_asks_back(core, question, expected):
    decision = (await core.dialogue.understand(question)).decision
    assert decision.route is Route.CLARIFY, decision.reason
    assert expected <= {c.label for c in decision.candidates}


async def test_a_country_alone_asks_what_the_employer_wants_to_know(core):
    from bot.messages import IncomingMessage, Kind

    replies = await core.dialogue.handle(IncomingMessage("terminal", "c1", Kind.TEXT, text="Irak?"))
    [reply] = [r for r in replies if r.buttons]
    assert reply.text.startswith("Was möchten Sie dazu wissen?")
    assert reply.button_payloads() == [
        "faq:status.asylum_seeker",
        "faq:status.tolerated",
        "faq:status.recognized",
        "human:coordinator",
    ]


GREETED = [
    # (with a salutation, the same question without it): the reader is greeted, nobody's case is told
    (
        "Hallo Frau Brandt, darf jemand mit Duldung bei uns eine Lehre anfangen?",
        "Darf jemand mit Duldung bei uns eine Lehre anfangen?",
    ),
    ("Guten Tag Herr Vogel, was ist eigentlich die Chancenkarte?", "Was ist eigentlich die Chancenkarte?"),
    (
        "Wie lange muss ein Asylbewerber warten, bis er bei uns arbeiten darf, Herr Vogel?",
        "Wie lange muss ein Asylbewerber warten, bis er bei uns arbeiten darf?",
    ),
    (
        "moin frau brandt brauchen geflüchtete für einen minijob eine erlaubnis",
        "brauchen geflüchtete für einen minijob eine erlaubnis",
    ),
    (
        "Dear Ms Hartley, may a recognised refugee work for us without a permit?",
        "May a recognised refugee work for us without a permit?",
    ),
]


@pytest.mark.parametrize("greeted, plain", GREETED, ids=[g[:40] for g, _ in GREETED])
async def test_a_salutation_does_not_make_a_general_question_one_persons_case(core, greeted, plain):
    with_salutation = (await core.dialogue.understand(greeted)).decision
    without = (await core.dialogue.understand(plain)).decision
    assert with_salutation.route is Route.ANSWER, with_salutation.reason
    assert with_salutation.faq_id == without.faq_id, (with_salutation.reason, without.reason)
