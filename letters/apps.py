from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters"

    def ready(self) -> None:
        # Letters draw their own entries on case timelines; casework never imports letters.
        from casework.timeline import register_kind

        register_kind("letter", "Letter", "letters/timeline/letter.html")
        register_kind("reply", "Reply", "letters/timeline/reply.html")
        # E-mailed replies to our letters are recognised when they arrive in the inbox.
        from casework.inbound import register_inbound_handler
        from letters.inbound_replies import reply_from_email

        register_inbound_handler(reply_from_email)
        # The audit trail and data protection (subject access, erasure, retention) reach letters here.
        from letters import audit

        audit.ready()
