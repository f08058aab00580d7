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
