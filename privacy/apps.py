from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data protection: audit trail pages, subject access exports, erasure, retention reviews.

    It reaches other apps' personal data only through the registry in ``casework.subjectdata``,
    which each app fills from its own ``AppConfig.ready()``; it never imports inbound or campaigns.
    """

    name = "privacy"
    verbose_name = "Data protection"
