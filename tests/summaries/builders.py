from tests.isolation import builder
from tests.surveys.factories import CampaignFactory


@builder("campaign-briefing", "campaign-briefing-pdf")
def _campaign(office):
    return {"pk": CampaignFactory(office=office).pk}
