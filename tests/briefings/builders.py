from tests.campaigns.factories import CampaignFactory
from tests.isolation import builder


@builder("campaign-briefing", "campaign-briefing-pdf", "campaign-briefing-chart-trend", "campaign-briefing-chart-wards")
def _campaign(office):
    return {"pk": CampaignFactory(office=office).pk}
