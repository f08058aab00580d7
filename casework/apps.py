from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        # The audit trail: casework's models and trail pages (apps above register their own).
        from casework import audit

        audit.ready()
        # Keep the office's wards, postcode table and "outside" flags in step with the directory.
        from casework.geography import directory_changed
        from geography.services import register_directory_listener

        register_directory_listener(directory_changed)
