import csv
import io

import factory

from campaigns.models import Campaign, Survey
from tests.mpoffice.factories import OfficeFactory

PRIORITY = "What should be the local priority?"
SERVICES = "Which services matter most to you?"
SAFETY = "How safe do you feel in your area?"
COMMENTS = "Anything else you want to tell us?"
CRIME = "Tackling crime and anti-social behaviour"


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    office = factory.SubFactory(OfficeFactory)
    title = factory.Sequence(lambda n: f"Build Back Better {n}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Knife crime in Milton Keynes {n}")


def survey_csv(rows: list[dict], headers: list[str] | None = None) -> bytes:
    headers = headers or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def story_rows(count: int = 100, crime: int = 39, ward: str = "Bletchley East") -> list[dict]:
    """``count`` respondents, ``crime`` of whom put crime and anti-social behaviour first."""
    rows = []
    for i in range(count):
        rows.append(
            {
                "Respondent ID": f"R{i:05d}",
                "Email": f"respondent{i}@example.org",
                "Postcode": "MK2 2AB",
                "Ward": ward,
                "Date": "14/06/2021",
                PRIORITY: CRIME if i < crime else ("Housing" if i % 2 else "Jobs and the economy"),
                SERVICES: "Policing; Schools" if i % 3 == 0 else "Buses",
                SAFETY: str(1 + i % 5),
                COMMENTS: f"Comment number {i}" if i % 10 == 0 else "",
            }
        )
    return rows


STORY_MAPPING = {
    "Respondent ID": "respondent_id",
    "Email": "email",
    "Postcode": "postcode",
    "Ward": "ward",
    "Date": "submitted_at",
    PRIORITY: "single",
    SERVICES: "multiple",
    SAFETY: "rating",
    COMMENTS: "free_text",
}
