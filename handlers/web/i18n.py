"""The console's and chat page's words in German; templates are written in English.

`gettext(lang)` returns the function templates call as _("..."): German where a translation
exists, the English original otherwise (and always for lang "en").
"""

from __future__ import annotations

from collections.abc import Callable

GERMAN = {
    # layout and log-in
    "Lotse console": "Lotse-Konsole",
    "Skip to content": "Zum Inhalt springen",
    "Queue": "Warteschlange",
    # the live queue (static/console.js)
    "Updates without reloading.": "Aktualisiert sich ohne Neuladen.",
    "Notify me of new tickets": "Bei neuen Tickets benachrichtigen",
    "New ticket": "Neues Ticket",
    "Signed out: reload the page to log in again.": "Abgemeldet: Seite neu laden, um sich wieder anzumelden.",
    "This ticket is no longer in your teams' queues: the page does not update any more.": (
        "Dieses Ticket ist nicht mehr in den Warteschlangen Ihrer Teams: Die Seite aktualisiert sich nicht mehr."
    ),
    "Statistics": "Statistik",
    "FAQ suggestions": "FAQ-Vorschläge",
    "Log out": "Abmelden",
    "Log in": "Anmelden",
    "Username": "Benutzername",
    "Password": "Passwort",
    "Signed in as": "Angemeldet als",
    (
        "Wrong username or password, or the account is locked. "
        "After {n} failed attempts an account is locked for {m} minutes."
    ): "Benutzername oder Passwort falsch, oder das Konto ist gesperrt. Nach {n} Fehlversuchen wird ein Konto für "
    "{m} Minuten gesperrt.",
    "Too many failed log-ins from this address. Please wait a few minutes.": "Zu viele Fehlversuche von dieser Adresse. Bitte warten Sie einige Minuten.",
    "Accounts are created by the operator: python -m bot users add NAME --team TEAM": "Konten legt der Betrieb an: python -m bot users add NAME --team TEAM",
    "Your session had ended, so this was not sent. It is kept here: copy it, log in, and send it again.": "Ihre Sitzung war abgelaufen, deshalb wurde dies nicht gesendet. Es steht hier: Kopieren Sie es, melden Sie sich an und senden Sie es noch einmal.",
    "Not sent": "Nicht gesendet",
    # queue
    "Team": "Team",
    "All my teams": "Alle meine Teams",
    "Status": "Status",
    "Active (not closed)": "Aktiv (nicht geschlossen)",
    "open": "offen",
    "claimed": "übernommen",
    "answered": "beantwortet",
    "closed": "geschlossen",
    "all": "alle",
    "Older than": "Älter als",
    "any age": "beliebig",
    "1 hour": "1 Stunde",
    "1 day": "1 Tag",
    "3 days": "3 Tage",
    "7 days": "7 Tage",
    "Search": "Suche",
    "Words or ticket number": "Wörter oder Ticketnummer",
    "Only mine": "Nur meine",
    "Filter": "Filtern",
    "No tickets match.": "Keine passenden Tickets.",
    "Ticket": "Ticket",
    "Question": "Frage",
    "Company": "Unternehmen",
    "Age": "Alter",
    "Claimed by": "Übernommen von",
    "Reminders": "Erinnerungen",
    "overdue": "überfällig",
    "reannounced": "erneut angekündigt",
    "employer_told": "Arbeitgeber vertröstet",
    "Tickets": "Tickets",
    # ticket
    "Back to the queue": "Zurück zur Warteschlange",
    "Bot's classification": "Einschätzung des Bots",
    "Route": "Weg",
    "Topic": "Thema",
    "Confidence": "Sicherheit",
    "Reason": "Begründung",
    "Candidates": "Kandidaten",
    "Conversation": "Verlauf",
    "Employer": "Arbeitgeber",
    "Contact": "Kontakt",
    "only via the chat": "nur über den Chat",
    "Channel": "Kanal",
    "Language": "Sprache",
    "Earlier in the chat": "Vorher im Chat",
    "Audit trail": "Protokoll",
    "When": "Wann",
    "Who": "Wer",
    "What": "Was",
    "Claim": "Übernehmen",
    "Answer": "Antworten",
    "Your answer to the employer": "Ihre Antwort an den Arbeitgeber",
    "Send answer": "Antwort senden",
    "File for the employer": "Datei für den Arbeitgeber",
    "A few words with it (optional)": "Ein paar Worte dazu (freiwillig)",
    (
        "PDF, JPEG or PNG, at most {n} MB. The file is signed with the team's name and sent to the employer on "
        "their channel."
    ): "PDF, JPEG oder PNG, höchstens {n} MB. Die Datei wird mit dem Namen des Teams unterschrieben und auf dem "
    "Kanal des Arbeitgebers zugestellt.",
    "Send file": "Datei senden",
    "File removed (after the retention period, or the employer deleted their data)": (
        "Datei entfernt (nach Ablauf der Aufbewahrungsfrist, oder der Arbeitgeber hat seine Daten gelöscht)"
    ),
    "Start from an FAQ answer": "Mit einer FAQ-Antwort beginnen",
    "Insert": "Einfügen",
    "Internal note": "Interne Notiz",
    "Add note": "Notiz hinzufügen",
    "Hand over": "Übergeben",
    "to team": "an Team",
    "Note for the other team": "Notiz für das andere Team",
    "Close ticket": "Ticket schließen",
    "Propose for the FAQ": "Für die FAQ vorschlagen",
    "employer": "Arbeitgeber",
    "staff": "Team",
    "note": "Notiz",
    "The answer is signed with the team's name and sent to the employer on their channel.": "Die Antwort wird mit dem Namen des Teams unterschrieben und auf dem Kanal des Arbeitgebers zugestellt.",
    "Notes stay internal.": "Notizen bleiben intern.",
    "Done.": "Erledigt.",
    "Existing topic": "Bestehendes Thema",
    "or a new topic id": "oder eine neue Themen-ID",
    "Propose": "Vorschlagen",
    "Suggested answer": "Vorgeschlagene Antwort",
    "This ticket is closed.": "Dieses Ticket ist geschlossen.",
    # WhatsApp (bot/window/view.py)
    "WhatsApp window": "WhatsApp-Fenster (24 Stunden)",
    "Window": "Fenster",
    "open until": "offen bis",
    "May notify": "Darf benachrichtigen",
    "yes": "ja",
    "no": "nein",
    "not asked": "nicht gefragt",
    "Template sent": "Vorlage gesendet",
    "Send again": "Erneut senden",
    "whatsapp_waiting": "Antwort wartet (WhatsApp)",
    "Arbeitgeber muss erneut schreiben": "Arbeitgeber muss erneut schreiben",
    "an answer waits until the employer writes again.": "eine Antwort wartet, bis der Arbeitgeber wieder schreibt.",
    "The employer was notified with the template; the answer waits for the tap on „Antwort anzeigen“.": "Der Arbeitgeber wurde mit der Vorlage benachrichtigt; die Antwort wartet auf „Antwort anzeigen“.",
    "sending": "wird gesendet",
    "waiting for the employer": "wartet auf den Arbeitgeber",
    "accepted by WhatsApp": "von WhatsApp angenommen",
    "sent": "gesendet",
    "delivered": "zugestellt",
    "read": "gelesen",
    "failed": "fehlgeschlagen",
    # statistics
    "Per day": "Pro Tag",
    "Per week": "Pro Woche",
    "Questions": "Fragen",
    "Answered by the bot": "Vom Bot beantwortet",
    "Handed over": "Übergeben",
    "Deflection rate": "Entlastungsquote",
    "Clarification rate": "Rückfragequote",
    "Feedback per topic": "Bewertungen pro Thema",
    "Helpful": "Hilfreich",
    "Not helpful": "Nicht hilfreich",
    "Time to first human answer": "Zeit bis zur ersten Antwort",
    "Median": "Median",
    "p90": "p90",
    "Open tickets by age": "Offene Tickets nach Alter",
    "Editors' to-do": "Aufgaben für die Redaktion",
    "Questions the bot could not answer or answered with low confidence": "Fragen, die der Bot nicht oder nur unsicher beantworten konnte",
    "Period": "Zeitraum",
    "Other": "Sonstige",
    "Clarified": "Rückfrage",
    "No data yet.": "Noch keine Daten.",
    # a network of districts (docs/districts.md)
    "Districts": "Landkreise und Städte",
    "Districts side by side": "Landkreise und Städte im Vergleich",
    "District": "Landkreis / Stadt",
    "Last %d days": "Letzte %d Tage",
    "Unanswered questions": "Unbeantwortete Fragen",
    "FAQ gaps common to several districts": "FAQ-Lücken in mehreren Landkreisen",
    "Unanswered questions by the topic the bot guessed, where two or more districts have them": (
        "Unbeantwortete Fragen nach dem vom Bot vermuteten Thema, wo zwei oder mehr Landkreise sie haben"
    ),
    "Total": "Summe",
    "answers": "Antworten",
    "hours": "Stunden",
    "Day": "Tag",
    "Week": "Woche",
    "Count": "Anzahl",
    "Share": "Anteil",
    # suggestions
    "Export as YAML": "Als YAML exportieren",
    "Mark done": "Erledigt",
    "Dismiss": "Verwerfen",
    "No suggestions.": "Keine Vorschläge.",
    "Proposed by": "Vorgeschlagen von",
    "new": "neu",
    "done": "erledigt",
    "dismissed": "verworfen",
    "Show": "Zeigen",
    # editors' page: law changes and unanswered questions
    "Law changed since the review": "Gesetz seit der Prüfung geändert",
    "Reviewed": "Geprüft",
    "Change": "Änderung",
    "Source": "Quelle",
    "Answers whose legal basis changed after their review date (faq/_law-changes.yml). Check the answer, "
    "then update reviewed and reviewed_by.": "Antworten, deren Rechtsgrundlage sich nach dem Prüfdatum geändert hat (faq/_law-changes.yml). Antwort prüfen, "
    "dann reviewed und reviewed_by aktualisieren.",
    "No answer is older than a change of its law.": "Keine Antwort ist älter als eine Änderung ihrer Rechtsgrundlage.",
    "Questions the bot could not answer": "Fragen, die der Bot nicht beantworten konnte",
    "Last {n} days: clarification asked, out of scope, or answered with low confidence": "Letzte {n} Tage: Rückfrage, nicht zuständig oder nur unsicher beantwortet",
    "Not allowed": "Nicht erlaubt",
    "Not found": "Nicht gefunden",
    "This page does not exist.": "Diese Seite gibt es nicht.",
    "No such ticket in your teams' queues.": "Dieses Ticket gibt es in den Warteschlangen Ihrer Teams nicht.",
    "No such file in your teams' tickets.": "Diese Datei gibt es in den Tickets Ihrer Teams nicht.",
    "Only editors see the FAQ suggestions.": "Nur Redakteurinnen und Redakteure sehen die FAQ-Vorschläge.",
    "Only the network role sees every district.": "Nur die Netzwerk-Rolle sieht alle Landkreise und Städte.",
    "The form has expired. Go back, reload the page and try again.": "Das Formular ist abgelaufen. Gehen Sie "
    "zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
}


def gettext(lang: str) -> Callable[[str], str]:
    if lang == "de":
        return lambda text: GERMAN.get(text, text)
    return lambda text: text


def pick_language(accept_language: str, wanted: str = "") -> str:
    """?lang= wins; then the browser's first of de/en; German by default."""
    if wanted in ("de", "en"):
        return wanted
    for part in accept_language.split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in ("de", "en"):
            return code
    return "de"
