from django.apps import AppConfig


class InboundConfig(AppConfig):
    """Inbound mail: e-mails received by the office, their intake, triage and the inbox pages."""

    name = "inbound"
    verbose_name = "Inbound mail"

    def ready(self) -> None:
        # Subject access, erasure and retention reach this app's personal data through casework's registry.
        from casework.subjectdata import register_source
        from inbound.subjectdata import SOURCE

        register_source(SOURCE)

        # System status shows the office's mailboxes (mpoffice knows nothing of inbound).
        from inbound.models import MailboxConnection
        from mpoffice.status import StatusPanel, register_status_panel

        register_status_panel(
            StatusPanel(
                template="inbound/mailboxes/status_panel.html",
                context=lambda office: {"connections": list(MailboxConnection.objects.for_office(office))},
            )
        )
