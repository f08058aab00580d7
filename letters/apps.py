from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters"

    def ready(self) -> None:
        # Letters draw their own entries on case timelines; casework never imports letters.
        from casework.timeline import register_kind

        register_kind("letter", "Letter", "letters/timeline/letter.html")
        register_kind("reply", "Reply", "letters/timeline/reply.html")
        # A case's page offers "Write a letter" and lists the letters about it.
        from casework.case_page import register_case_action, register_case_panel
        from letters.case_page import letters_panel, write_letter_action

        register_case_action(write_letter_action)
        register_case_panel(letters_panel)
        # E-mailed replies to our letters are recognised when they arrive in the inbox.
        # An e-mail waiting in the inbox can be recorded as the reply to a letter by hand.
        from inbound.services import register_inbound_handler, register_triage_action
        from letters.inbound_replies import reply_from_email
        from letters.views.inbox import TRIAGE_ACTION

        register_inbound_handler(reply_from_email)
        register_triage_action(TRIAGE_ACTION)
        # The audit trail and data protection (subject access, erasure, retention) reach letters here.
        from letters import audit

        audit.ready()
        # An office that sets its constituency gets a reply for people outside it.
        from geography.services import register_directory_listener
        from letters.services import signposting_on_directory_change

        register_directory_listener(signposting_on_directory_change)
