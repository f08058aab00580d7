"""Demo data for the story's knife crime campaign, its surveys and campaign detail (after casework's demo).

"Build Back Better in Milton Keynes South": 1,210 fictional respondents, 472 of whom put
tackling crime and anti-social behaviour first, so that Postbag itself computes the 39%
(95% CI 36–42%) the MPs cite. Responses go through the same import service as a CSV upload.
Idempotent: rows are found by natural keys, and the import skips respondents already held.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import Campaign, CampaignCase, FollowUpAction, KeyFact, Meeting, Option, Survey, SurveyFinding
from campaigns.surveys import ColumnRole, ParsedFile, survey_finding_save, survey_import_commit
from casework.models import Case, Topic
from mpoffice.models import Office, Ward

SURVEY_TITLE = "Build Back Better in Milton Keynes South"
PRIORITY = "Which one of these should be the local priority as we build back better?"
CRIME = "Tackling crime and anti-social behaviour"
OTHER_PRIORITIES = [
    ("Jobs and the local economy", 260),
    ("Health and care services", 190),
    ("Roads, transport and parking", 120),
    ("Housing", 110),
    ("Schools and young people", 58),
]
SERVICES = "Which local services have you used in the last year? (tick all that apply)"
SERVICE_OPTIONS = ["GP surgery", "Buses", "Libraries", "Parks", "Leisure centres"]
SAFETY = "How safe do you feel in your neighbourhood after dark? (1 = very unsafe, 5 = very safe)"
COMMENTS = "Is there anything else you would like Iain to know?"
RESPONDENTS = 1210
CRIME_FIRST = 472

KNIFE_CAMPAIGN = "Knife crime in Milton Keynes"

FACTS = [
    (
        "Knife crime in Milton Keynes has risen by 90% over two years.",
        "Police figures cited in the MPs' joint letter to the Home Secretary",
        75,
    ),
    (
        "Milton Keynes is among the three fastest-growing areas for knife crime of the 43 police force areas "
        "of England and Wales.",
        "Police figures cited in the MPs' joint letter to the Home Secretary",
        75,
    ),
    ("A 16-year-old was fatally stabbed at MK College.", "Thames Valley Police statement", 40),
    ("A further fatal stabbing made it the fourth in 13 weeks.", "Thames Valley Police statement", 12),
]

PCC_AND_OFFICERS = (
    "Matthew Barber, Police and Crime Commissioner for Thames Valley\nLocal officers, Thames Valley Police"
)

MEETINGS = {
    "MKN": {
        "place": "Oldbrook",
        "days_ago": 30,
        "attendees": f"Ben Everitt MP\n{PCC_AND_OFFICERS}",
        "notes": "Violent crime in Milton Keynes, its causes and possible answers; the work of the Violence "
        "Reduction Unit.",
        "actions": [
            ("Send the PCC the office's knife-crime case figures by ward", "mkn-staff", -10),
            ("Ask Thames Valley Police for the Violence Reduction Unit's plan for Milton Keynes", "mkn-caseworker", 14),
        ],
    },
    "MKS": {
        "place": "Netherfield",
        "days_ago": 28,
        "attendees": f"Iain Stewart MP\n{PCC_AND_OFFICERS}",
        "notes": "Violent crime, its causes and possible answers; deterrents to carrying a knife.",
        "actions": [
            ("Share the survey's crime and anti-social behaviour findings with the PCC", "mks-staff", 7),
        ],
    },
}


def load(*, log: Callable[[str], None]) -> None:
    User = get_user_model()
    for office in Office.objects.filter(reference_prefix__in=["MKN", "MKS"]).order_by("reference_prefix"):
        knife = Topic.objects.filter(office=office, parent__name="Crime & policing", name="Knife crime").first()
        if knife is None:
            continue
        staff = User.objects.filter(username=f"{office.reference_prefix.lower()}-staff").first()
        knife_cases = Case.objects.filter(office=office, topic=knife).order_by("pk")
        _campaign(office, {"Crime & policing > Knife crime": knife}, knife_cases, by=staff)
    story_load(log=log)


KNIFE_CAMPAIGN_DESCRIPTION = (
    "Knife crime in Milton Keynes rose by 90% over two years, among the three fastest-growing areas "
    "of the 43 police force areas. A 16-year-old was fatally stabbed at MK College; a further death "
    "was the fourth fatal stabbing in 13 weeks. The MP is pressing the Home Office, Thames Valley Police "
    "and the Police and Crime Commissioner for a long-term, holistic response."
)


def _campaign(office, topics, knife_cases, *, by) -> None:
    campaign, _ = Campaign.objects.get_or_create(
        office=office, name=KNIFE_CAMPAIGN, defaults={"description": KNIFE_CAMPAIGN_DESCRIPTION}
    )
    campaign.topics.add(topics["Crime & policing > Knife crime"])
    for case in knife_cases:
        CampaignCase.objects.get_or_create(office=office, campaign=campaign, case=case, defaults={"added_by": by})


def story_load(*, log: Callable[[str], None]) -> None:
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["mkn-staff", "mkn-caseworker", "mks-staff"])}
    today = timezone.localdate()
    for office in Office.objects.filter(reference_prefix__in=["MKN", "MKS"]):
        campaign = Campaign.objects.filter(office=office, name=KNIFE_CAMPAIGN).first()
        if campaign is None:
            continue
        _rule(campaign, office, today)
        for statement, source, days_ago in FACTS:
            KeyFact.objects.get_or_create(
                office=office,
                campaign=campaign,
                statement=statement,
                defaults={"source": source, "stated_on": today - timedelta(days=days_ago)},
            )
        spec = MEETINGS[office.reference_prefix]
        meeting, created = Meeting.objects.get_or_create(
            office=office,
            campaign=campaign,
            place=spec["place"],
            defaults={
                "held_on": today - timedelta(days=spec["days_ago"]),
                "attendees": spec["attendees"],
                "notes": spec["notes"],
            },
        )
        for description, owner, due_in in spec["actions"]:
            FollowUpAction.objects.get_or_create(
                office=office,
                meeting=meeting,
                description=description,
                defaults={"owner": users.get(owner), "due_on": today + timedelta(days=due_in)},
            )
        if created:
            log(f"{office.reference_prefix}: key facts and the meeting with the PCC in {spec['place']}")
        if office.reference_prefix == "MKS":
            _survey(office, campaign, by=users.get("mks-staff"), log=log)


def _rule(campaign: Campaign, office: Office, today) -> None:
    """Gather every knife-crime case of the last two years, not only those linked by hand."""
    if campaign.rule_since is None:
        knife = Topic.objects.filter(office=office, name="Knife crime").first()
        if knife is not None:
            campaign.topics.add(knife)
            campaign.rule_since = today.replace(year=today.year - 2)
            campaign.save(update_fields=["rule_since"])


def _survey(office: Office, campaign: Campaign, *, by, log) -> None:
    survey, _ = Survey.objects.get_or_create(
        office=office,
        title=SURVEY_TITLE,
        defaults={
            "description": "A constituency survey on what should come first as Milton Keynes South builds back.",
            "opened_on": timezone.localdate() - timedelta(days=120),
            "closed_on": timezone.localdate() - timedelta(days=90),
        },
    )
    if survey.responses.count() < RESPONDENTS:
        parsed = ParsedFile(headers=list(_headers()), rows=_rows(office))
        check = survey_import_commit(survey=survey, parsed=parsed, mapping=_headers())
        log(f"MKS: survey “{SURVEY_TITLE}” with {check.new_responses} responses")
    option = Option.objects.filter(question__survey=survey, question__text=PRIORITY, label=CRIME).first()
    if option is not None and not SurveyFinding.objects.filter(campaign=campaign, option=option).exists():
        finding = survey_finding_save(option=option, campaign=campaign, by=by)
        log(f"MKS: finding saved to the campaign: {finding.text}")


def _headers() -> dict[str, str]:
    return {
        "Respondent": ColumnRole.RESPONDENT_ID,
        "Ward": ColumnRole.WARD,
        PRIORITY: ColumnRole.SINGLE,
        SERVICES: ColumnRole.MULTIPLE,
        SAFETY: ColumnRole.RATING,
        COMMENTS: ColumnRole.FREE_TEXT,
    }


def _rows(office: Office) -> list[dict[str, str]]:
    rng = random.Random(2021)  # the same responses every time
    wards = list(Ward.objects.for_office(office).values_list("name", flat=True)) or [""]
    priorities = [CRIME] * CRIME_FIRST + [label for label, count in OTHER_PRIORITIES for _ in range(count)]
    assert len(priorities) == RESPONDENTS
    rng.shuffle(priorities)
    comments = [
        "More police on foot in the evenings, please.",
        "Young people need somewhere to go.",
        "The underpasses feel unsafe after dark.",
        "Thank you for holding this survey.",
    ]
    rows = []
    for number, priority in enumerate(priorities, start=1):
        crime_minded = priority == CRIME
        rows.append(
            {
                "Respondent": f"BBB-{number:05d}",
                "Ward": rng.choice(wards),
                PRIORITY: priority,
                SERVICES: "; ".join(sorted(rng.sample(SERVICE_OPTIONS, rng.randint(1, 3)))),
                SAFETY: str(rng.choice([1, 2, 2, 3]) if crime_minded else rng.choice([2, 3, 4, 4, 5])),
                COMMENTS: rng.choice(comments) if rng.random() < 0.08 else "",
            }
        )
    return rows
