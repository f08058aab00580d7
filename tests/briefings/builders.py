from tests.isolation import builder
from tests.surveys.factories import CampaignFactory


@builder("campaign-briefing", "campaign-briefing-pdf", "campaign-briefing-chart-trend", "campaign-briefing-chart-wards")
def _campaign(office):
    return {"pk": CampaignFactory(office=office).pk}
