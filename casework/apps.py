from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        # The audit trail: casework's models and trail pages (apps above register their own).
        from casework import audit

        audit.ready()

        # System status shows the office's mailboxes (mpoffice knows nothing of casework).
        from casework.models import MailboxConnection
        from mpoffice.status import StatusPanel, register_status_panel

        register_status_panel(
            StatusPanel(
                template="casework/mailboxes/status_panel.html",
                context=lambda office: {"connections": list(MailboxConnection.objects.for_office(office))},
            )
        )
