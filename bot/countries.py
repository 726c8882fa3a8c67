"""A message that only names a country ("Syrien?", "und aus Eritrea?"): which topics to offer back.

A country alone is no question the FAQ can answer, and the classifier, which has never seen one
alone, ranks topics at random for it. Whether someone may work depends above all on their
residence status (§ 4a AufenthG; shared/domain-facts.md, A1), so the employer is asked what they
want to know and offered the status topics (for countries employers mostly recruit from: skilled
immigration). Where the law names the country itself, its topics come first: the safe countries
of origin (Anlage II AsylG, § 61(2) AsylG) and the Western Balkans regulation (§ 26(2) BeschV).
A country that a topic's key terms name (Ukraine, Georgien, Moldau) never gets here: the decision
rule only asks back when the message holds no key term, so that topic answers.
"""

from __future__ import annotations

from nlu.text import fold

STATUS = ("status.asylum_seeker", "status.tolerated", "status.recognized")
FROM_ABROAD = ("fachkraefte.overview", "permit.check_documents", "recognition.overview")
SAFE_COUNTRY = ("status.safe_country", "status.asylum_seeker", "status.tolerated")
WESTERN_BALKANS = ("fachkraefte.western_balkans", "status.safe_country", "status.asylum_seeker")

# Countries employers name, German and English, one word each (not complete: an unknown country is classified
# as before). Countries most asylum seekers come from: the status topics; countries employers mostly recruit
# skilled workers from: skilled immigration, the document check, recognition; the ones the law names.
_COUNTRIES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        """Syrien Syria Afghanistan Irak Iraq Iran Eritrea Somalia Türkei Turkey Türkiye Nigeria Russland Russia
        Äthiopien Ethiopia Sudan Jemen Yemen Libanon Lebanon Palästina Palestine Pakistan Bangladesch Bangladesh
        Ägypten Egypt Algerien Algeria Libyen Libya Gambia Guinea Kamerun Cameroon Mali Kolumbien Colombia
        Venezuela Armenien Armenia Aserbaidschan Azerbaijan Belarus""".split(),
        STATUS,
    ),
    **dict.fromkeys(
        """Indien India Vietnam Philippinen Philippines Indonesien Indonesia China Marokko Morocco Tunesien Tunisia
        Brasilien Brazil Mexiko Mexico Peru Kenia Kenya Usbekistan Uzbekistan""".split(),
        FROM_ABROAD,
    ),
    **dict.fromkeys("Ghana Senegal".split(), SAFE_COUNTRY),
    **dict.fromkeys(
        """Albanien Albania Bosnien Bosnia Herzegowina Herzegovina Kosovo Montenegro Nordmazedonien Mazedonien
        Macedonia Serbien Serbia""".split(),
        WESTERN_BALKANS,
    ),
}
COUNTRIES = {fold(name): topics for name, topics in _COUNTRIES.items()}

# Words around a country that do not make it a question: "und aus Eritrea?", "what about Iraq?", "Syrien oder
# Irak?" (several countries: the first one's topics)
_FILLER = frozenset(
    fold(word)
    for word in """und oder aus dem der den die von nach was ist mit wie sieht es bei denen leute menschen jemand
    jemanden bewerber bewerberin so also ok okay noch nord north and or from the what about how people someone
    applicant""".split()
)


def topics_for_a_country(text: str) -> tuple[str, ...] | None:
    """The topics to offer when a message names a country and nothing else but filler words; else None."""
    words = fold(text).split()
    countries = [COUNTRIES[word] for word in words if word in COUNTRIES]
    if not countries or any(word not in _FILLER and word not in COUNTRIES for word in words):
        return None
    return countries[0]
