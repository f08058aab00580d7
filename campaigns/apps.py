from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Campaigns (their cases, key facts, meetings and follow-up actions) and surveys with their results."""

    name = "campaigns"
    verbose_name = "Campaigns and surveys"

    def ready(self) -> None:
        # Subject access, erasure and retention reach this app's personal data through casework's registry.
        from campaigns.subjectdata import SOURCE
        from casework.subjectdata import register_source

        register_source(SOURCE)
