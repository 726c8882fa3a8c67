"""What the bot says around the FAQ answers, in German and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "de": "Guten Tag! Ich bin Lotse, der Assistent des regionalen Arbeitgebernetzwerks. Ich beantworte "
        "Fragen zur Beschäftigung von Geflüchteten und Zugewanderten: Arbeitserlaubnis, Aufenthaltsstatus, "
        "Ausbildung, Fachkräfteeinwanderung, Anerkennung und Förderung. Einzelfälle gebe ich an die "
        "Ausländerbehörde oder die Netzwerkkoordination weiter.\n\nSchreiben Sie Ihre Frage einfach in den Chat.",
        "en": "Hello! I am Lotse, the assistant of the regional employer network. I answer questions about "
        "employing refugees and migrants: work permits, residence status, training, skilled immigration, "
        "recognition of qualifications and subsidies. Individual cases go to the foreigners' authority or "
        "the network coordinator.\n\nJust type your question.",
    },
    "privacy_short": {
        "de": "Datenschutz: Ich speichere Ihre Fragen, um Antworten zu verbessern; nichts geht ohne Ihre "
        "Zustimmung an Dritte. Mehr: /privacy",
        "en": "Privacy: I store your questions to improve the answers; nothing goes to third parties without "
        "your consent. More: /privacy",
    },
    "privacy": {
        "de": "Was mit Ihren Daten geschieht:\n\n• Gespeichert werden Ihre Fragen, die gewählte Sprache, wie "
        "Lotse entschieden hat und Ihre Bewertungen, damit das Netzwerk die Antworten verbessern kann.\n"
        "• Nennen Sie bitte keine Namen oder Ausweisdaten Ihrer Beschäftigten, solange niemand Ihren Fall "
        "bearbeiten muss.\n• An Dritte geht nichts, außer Sie stimmen der Weitergabe an die zuständige Stelle "
        "ausdrücklich zu.\n• Daten werden nach Ablauf der Aufbewahrungsfrist gelöscht.",
        "en": "What happens to your data:\n\n• Lotse stores your questions, the chosen language, how it decided "
        "and your ratings, so that the network can improve the answers.\n• Please do not give names or ID "
        "details of employees unless someone has to work on your case.\n• Nothing goes to third parties "
        "unless you explicitly agree to pass your question to the responsible office.\n• Data is deleted "
        "when the retention period ends.",
    },
    # /privacy's last point: what /delete leaves, as config.yml's tickets.on_delete says
    "privacy_delete_anonymise": {
        "de": "• /delete löscht den Chat, Ihre Fragen, Bewertungen und Nachrichten sowie Firma und Kontakt aus "
        "Ihren Tickets. Übrig bleibt je Ticket ein anonymer Eintrag (Nummer, Team, Status, Zeiten) für die "
        "Statistik; er wird nach {days} Tagen gelöscht.",
        "en": "• /delete erases the chat, your questions, ratings and messages, and the company and contact in "
        "your tickets. What remains of each ticket is an anonymous record (number, team, status, times) for the "
        "statistics; it is deleted after {days} days.",
    },
    "privacy_delete_delete": {
        "de": "• /delete löscht den Chat, Ihre Fragen, Bewertungen und Nachrichten und Ihre Tickets vollständig.",
        "en": "• /delete erases the chat, your questions, ratings and messages, and your tickets completely.",
    },
    "help": {
        "de": "So funktioniert Lotse:\n\n• Stellen Sie Ihre Frage in eigenen Worten, z. B. „Darf jemand mit "
        "Duldung bei uns eine Ausbildung machen?“\n• Tippen Sie auf die Knöpfe unter den Antworten, um "
        "Themen zu vertiefen oder zu bewerten.\n• Für Einzelfälle vermittle ich an eine Person.\n\n"
        "Befehle: /topics Themen durchsuchen · /lang Sprache · /privacy Datenschutz · /help Hilfe",
        "en": 'How Lotse works:\n\n• Ask in your own words, e.g. "May someone with a Duldung do an '
        'apprenticeship with us?"\n• Tap the buttons under an answer to explore related topics or rate '
        "it.\n• For individual cases I put you in touch with a person.\n\n"
        "Commands: /topics browse topics · /lang language · /privacy privacy · /help help",
    },
    "help_tickets": {
        "de": "\nIhre Anfragen an Personen: /tickets Ihre Tickets · /cancel Vorgang abbrechen · "
        "/delete alle Ihre Daten löschen",
        "en": "\nYour questions to people: /tickets your tickets · /cancel stop what is under way · "
        "/delete erase all your data",
    },
    "no_such_choice": {
        "de": "Einen Knopf {number} gibt es hier nicht. Tippen Sie eine Zahl von 1 bis {last} – oder schreiben "
        "Sie Ihre Frage.",
        "en": "There is no button {number} here. Type a number from 1 to {last} – or type your question.",
    },
    "choose_language": {"de": "Welche Sprache möchten Sie?", "en": "Which language would you like?"},
    "language_set": {"de": "Ich antworte jetzt auf Deutsch.", "en": "I will answer in English now."},
    "areas": {"de": "Wählen Sie einen Bereich:", "en": "Choose an area:"},
    "area_topics": {"de": "Themen im Bereich „{area}“:", "en": 'Topics in "{area}":'},
    "clarify": {"de": "Meinten Sie eines dieser Themen?", "en": "Did you mean one of these topics?"},
    "clarify_country": {
        "de": "Was möchten Sie dazu wissen? Ob jemand bei Ihnen arbeiten darf, hängt vor allem von seinem "
        "Aufenthaltsstatus ab. Wählen Sie ein Thema oder stellen Sie Ihre Frage in einem Satz, "
        "z. B. „Darf ich einen Bewerber mit Duldung einstellen?“",
        "en": "What would you like to know about it? Whether someone may work for you depends above all on their "
        'residence status. Pick a topic or ask your question in a full sentence, e.g. "May I hire an applicant '
        'with a Duldung?"',
    },
    "rephrase": {
        "de": "Das habe ich leider nicht verstanden. Können Sie die Frage anders formulieren? "
        "Sie können auch unter /topics stöbern oder eine Person fragen.",
        "en": "Sorry, I did not understand that. Could you rephrase the question? "
        "You can also browse /topics or ask a person.",
    },
    "none_of_these": {"de": "Nichts davon – Person fragen", "en": "None of these – ask a person"},
    "ask_person": {"de": "Person fragen", "en": "Ask a person"},
    "helpful": {"de": "Hilfreich?", "en": "Helpful?"},
    "feedback_thanks_up": {"de": "Danke für Ihre Rückmeldung!", "en": "Thank you for your feedback!"},
    "feedback_thanks_down": {
        "de": "Danke, das hilft uns, die Antwort zu verbessern. Möchten Sie eine Person fragen?",
        "en": "Thank you, that helps us improve the answer. Would you like to ask a person?",
    },
    "reviewed": {"de": "Stand: {date}", "en": "Last reviewed: {date}"},
    "individual_case": {
        "de": "Ihr Einzelfall: {contact}",
        "en": "Your individual case: {contact}",
    },
    "sources": {"de": "Quellen", "en": "Sources"},
    "steps": {"de": "So geht's", "en": "Step by step"},
    "related": {"de": "Verwandte Themen", "en": "Related topics"},
    "handover_authority": {
        "de": "Das klingt nach einem Einzelfall, den nur die Ausländerbehörde prüfen und entscheiden kann.",
        "en": "This sounds like an individual case that only the foreigners' authority can check and decide.",
    },
    "handover_coordinator": {
        "de": "Dabei hilft Ihnen am besten eine Person aus dem regionalen Netzwerk weiter.",
        "en": "A person from the regional network is the best help for this.",
    },
    "handover_direct": {
        "de": "Lotse kann Fragen noch nicht selbst weiterleiten. Bitte wenden Sie sich direkt an: {contact}",
        "en": "Lotse cannot pass questions on by itself yet. Please contact directly: {contact}",
    },
    "out_of_scope": {
        "de": "Dafür bin ich leider nicht zuständig. Ich helfe bei Fragen zur Beschäftigung von Geflüchteten "
        "und Zugewanderten: Arbeitserlaubnis, Aufenthaltsstatus, Ausbildung, Fachkräfteeinwanderung, "
        "Anerkennung und Förderung. Stöbern Sie unter /topics.",
        "en": "Sorry, that is not my field. I help with questions about employing refugees and migrants: work "
        "permits, residence status, training, skilled immigration, recognition and subsidies. "
        "Browse /topics.",
    },
    "smalltalk": {
        "de": "Gern! Fragen Sie mich einfach, was Sie zur Beschäftigung von Geflüchteten wissen möchten.",
        "en": "You're welcome! Just ask me what you would like to know about employing refugees.",
    },
    "type_your_question": {
        "de": "Bilder, Sprachnachrichten und Dateien kann ich leider nicht lesen. Bitte schreiben Sie Ihre "
        "Frage als Text. Bitte senden Sie keine Ausweisdokumente.",
        "en": "I cannot read pictures, voice messages or files. Please type your question. Please do not send "
        "identity documents.",
    },
    "empty": {"de": "Bitte schreiben Sie Ihre Frage.", "en": "Please type your question."},
    "too_long": {
        "de": "Ihre Nachricht ist sehr lang ({length} Zeichen). Bitte fassen Sie Ihre Frage in höchstens "
        "{limit} Zeichen zusammen.",
        "en": "Your message is very long ({length} characters). Please put your question in at most "
        "{limit} characters.",
    },
    "unknown_command": {
        "de": "Diesen Befehl kenne ich nicht. /help zeigt, was ich kann.",
        "en": "I don't know that command. /help shows what I can do.",
    },
    "unknown_button": {
        "de": "Dieser Knopf ist nicht mehr gültig. Stellen Sie Ihre Frage gern noch einmal.",
        "en": "This button is no longer valid. Please ask your question again.",
    },
    # -- the hand-over to people (bot/handover.py) ------------------------------------------------------------
    "ho_offer": {
        "de": "Soll ich Ihre Frage an das Team „{team}“ weitergeben? Dort antwortet Ihnen eine Person hier im Chat. "
        "Sie können sich auch direkt wenden an: {contact}",
        "en": "Shall I pass your question on to {team}? A person there will answer you here in this chat. "
        "You can also contact them directly: {contact}",
    },
    "ho_question_is": {"de": "Ihre Frage: „{question}“", "en": 'Your question: "{question}"'},
    "ho_yes": {"de": "Ja, weitergeben", "en": "Yes, pass it on"},
    "ho_no": {"de": "Nein, danke", "en": "No, thanks"},
    "ho_cancel": {"de": "Abbrechen", "en": "Cancel"},
    "ho_ask_question": {
        "de": "Was soll ich weitergeben? Bitte beschreiben Sie Ihre Frage in ein paar Sätzen.",
        "en": "What should I pass on? Please describe your question in a few sentences.",
    },
    "ho_ask_company": {"de": "Wie heißt Ihr Unternehmen?", "en": "What is the name of your company?"},
    "ho_bad_company": {
        "de": "Bitte nennen Sie den Namen Ihres Unternehmens (2 bis 200 Zeichen).",
        "en": "Please give your company's name (2 to 200 characters).",
    },
    "ho_ask_contact": {"de": "Wie kann das Team „{team}“ Sie erreichen?", "en": "How can {team} reach you?"},
    "ho_contact_chat": {"de": "Nur hier im Chat", "en": "Only in this chat"},
    "ho_contact_phone": {"de": "Telefon", "en": "Phone"},
    "ho_contact_email": {"de": "E-Mail", "en": "E-mail"},
    "ho_ask_phone": {"de": "Unter welcher Telefonnummer?", "en": "Which phone number?"},
    "ho_bad_phone": {
        "de": "Das sieht nicht nach einer Telefonnummer aus. Bitte z. B. so: +49 1234 567890",
        "en": "That does not look like a phone number. Please write it like +49 1234 567890",
    },
    "ho_ask_email": {"de": "Unter welcher E-Mail-Adresse?", "en": "Which e-mail address?"},
    "ho_bad_email": {
        "de": "Das sieht nicht nach einer E-Mail-Adresse aus. Bitte z. B. so: name@firma.de",
        "en": "That does not look like an e-mail address. Please write it like name@company.com",
    },
    "ho_consent": {
        "de": "Darf ich Ihre Frage, den Namen Ihres Unternehmens und Ihre Kontaktangabe an das Team „{team}“ weitergeben? "
        "Die Angaben werden nur zur Beantwortung verwendet. Mit /delete löschen Sie jederzeit alle Ihre Daten.",
        "en": "May I pass your question, your company's name and your contact details on to {team}? They are "
        "used only to answer you. /delete erases all your data at any time.",
    },
    "ho_consent_yes": {"de": "Ja, einverstanden", "en": "Yes, I agree"},
    "ho_use_buttons": {
        "de": "Bitte wählen Sie einen der Knöpfe – oder /cancel zum Abbrechen.",
        "en": "Please choose one of the buttons – or /cancel to stop.",
    },
    "ho_cancelled": {"de": "Abgebrochen. Es wurde nichts weitergegeben.", "en": "Cancelled. Nothing was passed on."},
    "ho_nothing_to_cancel": {"de": "Es gibt gerade nichts abzubrechen.", "en": "There is nothing to cancel."},
    "ho_opened": {
        "de": "Erledigt: Ihre Frage liegt jetzt als Ticket #{number} beim Team „{team}“. Eine Antwort bekommen Sie "
        "hier {response_time} – ich melde mich, sobald sie da ist. /tickets zeigt Ihre Tickets.",
        "en": "Done: your question is now ticket #{number} with {team}. You will get an answer here "
        "{response_time} – I will let you know as soon as it arrives. /tickets lists your tickets.",
    },
    "ho_adds_to": {
        "de": "Gehört diese Nachricht zu Ticket #{number} (beim Team „{team}“) oder ist es eine neue Frage?",
        "en": "Does this message belong to ticket #{number} (with {team}), or is it a new question?",
    },
    "ho_add_button": {"de": "Zu Ticket #{number}", "en": "Add to ticket #{number}"},
    "ho_new_question": {"de": "Neue Frage", "en": "New question"},
    "ho_added": {
        "de": "Ich habe Ihre Nachricht zu Ticket #{number} gegeben.",
        "en": "I added your message to ticket #{number}.",
    },
    "ho_reopened": {
        "de": "Ich habe Ihre Nachricht zu Ticket #{number} gegeben; das Team „{team}“ sieht es sich wieder an.",
        "en": "I added your message to ticket #{number}; {team} will look at it again.",
    },
    "ho_ticket_closed": {
        "de": "Ticket #{number} ist schon geschlossen. Stellen Sie Ihre Frage gern neu.",
        "en": "Ticket #{number} is already closed. Please ask your question again.",
    },
    "ho_write_reply": {
        "de": "Schreiben Sie Ihre Antwort zu Ticket #{number}:",
        "en": "Write your reply to ticket #{number}:",
    },
    "ho_solved": {
        "de": "Schön, dass es geklärt ist! Ticket #{number} ist geschlossen.",
        "en": "Glad it is sorted! Ticket #{number} is closed.",
    },
    "ho_answer_title": {
        "de": "Antwort vom Team „{team}“ (Ticket #{number})",
        "en": "Answer from {team} (ticket #{number})",
    },
    "ho_answer_footer": {
        "de": "Sie können antworten oder das Ticket als gelöst markieren.",
        "en": "You can reply, or mark the ticket as solved.",
    },
    "ho_reply": {"de": "Antworten", "en": "Reply"},
    "ho_solved_button": {"de": "Gelöst, danke", "en": "Solved, thanks"},
    "ho_claimed_note": {
        "de": "Ticket #{number}: das Team „{team}“ bearbeitet Ihre Frage jetzt.",
        "en": "Ticket #{number}: {team} is working on your question now.",
    },
    "ho_handed_over_note": {
        "de": "Ticket #{number} liegt jetzt beim Team „{team}“; dort antwortet man Ihnen {response_time}.",
        "en": "Ticket #{number} is now with {team}; they will answer you {response_time}.",
    },
    "ho_closed_note": {
        "de": "Ticket #{number} wurde vom Team „{team}“ geschlossen. Haben Sie eine neue Frage, schreiben Sie einfach.",
        "en": "Ticket #{number} was closed by {team}. If you have a new question, just write.",
    },
    "ho_autoclosed_note": {
        "de": "Ticket #{number} habe ich geschlossen, weil keine Rückfrage mehr kam. Antworten Sie innerhalb von "
        "{days} Tagen, öffne ich es wieder.",
        "en": "I closed ticket #{number} as there was no further question. Reply within {days} days and I will "
        "reopen it.",
    },
    "ho_still_waiting": {
        "de": "Ticket #{number} ist noch nicht beantwortet – es ist nicht vergessen. Das Team „{team}“ meldet sich hier, "
        "sobald es geht. Dringend? Direkt erreichen Sie: {contact}",
        "en": "Ticket #{number} has no answer yet – it is not forgotten. {team} will answer here as soon as "
        "possible. Urgent? You can reach them directly: {contact}",
    },
    "tickets_none": {"de": "Sie haben keine Tickets.", "en": "You have no tickets."},
    "tickets_list": {"de": "Ihre Tickets:", "en": "Your tickets:"},
    "tickets_line": {
        "de": "#{number} · {team} · {status} · {date}: {question}",
        "en": "#{number} · {team} · {status} · {date}: {question}",
    },
    "status_open": {"de": "wartet auf Bearbeitung", "en": "waiting"},
    "status_claimed": {"de": "in Bearbeitung", "en": "being worked on"},
    "status_answered": {"de": "beantwortet", "en": "answered"},
    "status_closed": {"de": "geschlossen", "en": "closed"},
    "delete_confirm": {
        "de": "Wirklich alle Daten dieses Chats löschen? Das sind Ihre Fragen, Einstellungen, Bewertungen und "
        "Tickets ({tickets}). Das lässt sich nicht rückgängig machen.",
        "en": "Really erase all data of this chat? That is your questions, settings, ratings and tickets "
        "({tickets}). This cannot be undone.",
    },
    "delete_yes": {"de": "Ja, alles löschen", "en": "Yes, erase everything"},
    "delete_done": {"de": "Alle Daten dieses Chats sind gelöscht.", "en": "All data of this chat has been erased."},
    "delete_kept": {"de": "Nichts wurde gelöscht.", "en": "Nothing was erased."},
    # -- staff groups (handlers/telegram_staff.py) --------------------------------------------------------------
    "st_title": {"de": "Ticket #{number} · {team}", "en": "Ticket #{number} · {team}"},
    "st_topic": {"de": "#{number} {company}", "en": "#{number} {company}"},
    "st_question": {"de": "Frage ({language}):", "en": "Question ({language}):"},
    "st_bot": {
        "de": "Einschätzung des Bots: {route} ({confidence}) – {reason}",
        "en": "Bot's classification: {route} ({confidence}) – {reason}",
    },
    "st_recent": {"de": "Vorher im Chat:", "en": "Earlier in the chat:"},
    "st_employer": {
        "de": "Arbeitgeber: {company} · Kontakt: {contact}",
        "en": "Employer: {company} · contact: {contact}",
    },
    "st_contact_chat": {"de": "nur über den Chat", "en": "only via the chat"},
    "st_note": {"de": "Notiz bei der Übergabe von {team}: {note}", "en": "Note from {team} on hand-over: {note}"},
    "st_how": {
        "de": "Antworten Sie {where}: der Text geht mit „{team}“ unterschrieben an den Arbeitgeber. "
        "Nachrichten, die mit // beginnen, bleiben intern.",
        "en": 'Reply {where}: the text goes to the employer, signed "{team}". Messages starting with // stay internal.',
    },
    "st_where_topic": {"de": "in diesem Thema", "en": "in this topic"},
    "st_where_card": {"de": "auf diese Nachricht", "en": "to this message"},
    "st_claim": {"de": "Übernehmen", "en": "Claim"},
    "st_handover": {"de": "An {team} übergeben", "en": "Hand over to {team}"},
    "st_close": {"de": "Schließen", "en": "Close"},
    "st_claimed": {"de": "✋ #{number} übernommen von {name}.", "en": "✋ #{number} claimed by {name}."},
    "st_handover_prompt": {
        "de": "Übergabe von #{number} an {team}: antworten Sie auf diese Nachricht mit einer Notiz – oder "
        "übergeben Sie ohne Notiz.",
        "en": "Hand-over of #{number} to {team}: reply to this message with a note – or hand over without one.",
    },
    "st_handover_now": {"de": "Ohne Notiz übergeben", "en": "Hand over without note"},
    "st_handed_over": {
        "de": "➡️ #{number} an {team} übergeben von {name}.",
        "en": "➡️ #{number} handed over to {team} by {name}.",
    },
    "st_closed": {"de": "🔒 #{number} geschlossen von {name}.", "en": "🔒 #{number} closed by {name}."},
    "st_employer_says": {"de": "💬 Arbeitgeber zu #{number}:\n{text}", "en": "💬 Employer on #{number}:\n{text}"},
    "st_reopened": {"de": "↩️ #{number} ist wieder offen.", "en": "↩️ #{number} is open again."},
    "st_solved": {
        "de": "✅ #{number}: der Arbeitgeber hat es als gelöst markiert.",
        "en": "✅ #{number}: the employer marked it solved.",
    },
    "st_autoclosed": {
        "de": "🔒 #{number} automatisch geschlossen (keine Rückfrage).",
        "en": "🔒 #{number} closed automatically (no reply).",
    },
    "st_deleted": {
        "de": "🗑 Ticket #{number} – vom Arbeitgeber gelöscht.",
        "en": "🗑 Ticket #{number} – deleted by the employer.",
    },
    # A closed ticket in its staff group (bot/tickets/tidy.py): the topic's name, and the card's last line.
    "st_topic_done": {"de": "#{number} ✓", "en": "#{number} ✓"},
    "st_card_closed": {"de": "🔒 Geschlossen.", "en": "🔒 Closed."},
    # Files from the team (bot/tickets/files.py): what the coordinator is told when a file is not sent.
    "st_file_too_large": {
        "de": "Die Datei wurde nicht gesendet: sie ist {size} MB groß, erlaubt sind höchstens {limit} MB.",
        "en": "The file was not sent: it is {size} MB, at most {limit} MB are allowed.",
    },
    "st_file_type": {
        "de": "Die Datei wurde nicht gesendet: erlaubt sind nur {types} (geprüft am Inhalt der Datei, nicht nur "
        "am Namen).",
        "en": "The file was not sent: only {types} are allowed (checked by the file's content, not only its name).",
    },
    "st_file_channel": {
        "de": "Die Datei wurde nicht gesendet: der Arbeitgeber schreibt über {channel}, dorthin kann Lotse noch "
        "keine Dateien schicken. Bitte senden Sie sie auf anderem Weg.",
        "en": "The file was not sent: the employer writes on {channel}, where Lotse cannot send files yet. "
        "Please send it another way.",
    },
    "st_files_off": {
        "de": "Die Datei wurde nicht gesendet: Dateien an Arbeitgeber sind abgeschaltet (tickets.files.enabled).",
        "en": "The file was not sent: files to employers are switched off (tickets.files.enabled).",
    },
    "st_file_fetch": {
        "de": "Die Datei konnte nicht von Telegram geladen werden und wurde nicht gesendet. Bitte senden Sie sie "
        "noch einmal.",
        "en": "The file could not be fetched from Telegram and was not sent. Please send it again.",
    },
    "ho_file_caption": {"de": "📎 {name}", "en": "📎 {name}"},
    "st_reminder": {
        "de": "⏰ #{number} wartet seit {since} auf Übernahme.",
        "en": "⏰ #{number} has been waiting since {since}.",
    },
    "st_not_member": {"de": "Nur Mitglieder von {team} können das.", "en": "Only members of {team} can do this."},
    "st_refused": {"de": "Das geht nicht: {reason}", "en": "Not possible: {reason}"},
    # A button of a ticket that is not the presser's team's, or of no ticket at all: one answer for both.
    "st_button_refused": {
        "de": "Nur Mitglieder des Teams dieses Tickets können das.",
        "en": "Only members of this ticket's team can do this.",
    },
    "st_not_a_ticket": {
        "de": "Diese Nachricht gehört zu keinem Ticket. Antworten Sie im Thema des Tickets oder auf seine Karte.",
        "en": "This message belongs to no ticket. Reply in the ticket's topic or to its card.",
    },
}


def t(key: str, lang: str, **values: str) -> str:
    text = TEXTS[key]["en" if lang == "en" else "de"]
    return text.format(**values) if values else text
