from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters"

    def ready(self) -> None:
        # Letters draw their own entries on case timelines; casework never imports letters.
        from casework.timeline import register_kind

        register_kind("letter", "Letter", "letters/timeline/letter.html")
        register_kind("reply", "Reply", "letters/timeline/reply.html")
        # The audit trail and data protection (subject access, erasure, retention) reach letters here.
        from letters import audit

        audit.ready()
