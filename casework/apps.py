from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        # The audit trail: casework's models and trail pages (apps above register their own).
        from casework import audit

        audit.ready()
