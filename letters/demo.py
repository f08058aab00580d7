# ruff: noqa: E501 - the letters' prose keeps one paragraph per line, as a letter body does
"""Demo data for letters: each office's address book, templates and the letters of the story.

Runs after casework's demo (``manage.py load_demo``) and is idempotent: organisations, posts
and holders are looked up by name, letters by office and subject. Letter dates are set
relative to today, so that the joint letter is always awaiting its reply and one reply is
always overdue. The demo re-enacts the story in the present: Priti Patel is recorded as the
current Home Secretary and Matthew Barber as the current PCC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import Campaign
from casework.models import Case
from letters import services
from letters.models import Letter, LetterTemplate, Organisation, Post, PostHolder
from letters.services import signposting_template_ensure
from mpoffice.models import Membership, Office, Role

CAMPAIGN_NAME = "Knife crime in Milton Keynes"
JOINT_SUBJECT = "Knife crime in Milton Keynes"

# Holders are named only where the reference story names them (the Home Secretary and the PCC
# of the time); other posts are addressed by their title, so the demo names no one else.
ADDRESS_BOOK = [
    {
        "name": "Home Office",
        "address": "2 Marsham Street\nLondon\nSW1P 4DF",
        "email": "private.office@homeoffice.postbag.invalid",
        "target": 20,
        "posts": [
            (
                "Home Secretary",
                "Dear Home Secretary",
                [("Priti Patel", date(2019, 7, 24), None)],
            ),
        ],
    },
    {
        "name": "Office of the Police and Crime Commissioner for Thames Valley",
        "address": "The Farmhouse\nThames Valley Police Headquarters\nOxford Road\nKidlington\nOX5 2NX",
        "email": "pcc@thamesvalley-pcc.postbag.invalid",
        "target": 20,
        "posts": [
            (
                "Police and Crime Commissioner for Thames Valley",
                "Dear Commissioner",
                [("Matthew Barber", date(2021, 5, 13), None)],
            ),
        ],
    },
    {
        "name": "Thames Valley Police",
        "address": "Headquarters\nOxford Road\nKidlington\nOX5 2NX",
        "email": "chief.constable@thamesvalley-police.postbag.invalid",
        "target": 20,
        "posts": [("Chief Constable", "Dear Chief Constable", [])],
    },
    {
        "name": "Crown Prosecution Service",
        "address": "102 Petty France\nLondon\nSW1H 9EA",
        "email": "",
        "target": 20,
        "posts": [("Director of Public Prosecutions", "Dear Director", [])],
    },
    {
        "name": "Milton Keynes City Council",
        "address": "Civic\n1 Saxon Gate East\nMilton Keynes\nMK9 3EJ",
        "email": "leader@milton-keynes.postbag.invalid",
        "target": 15,
        "posts": [("Leader of the Council", "Dear Leader of the Council", [])],
    },
]

COVERING_TEMPLATE = (
    "Forwarding a reply",
    "Your concerns about {{ case_reference }}",
    "{{ salutation }},\n\nThank you for contacting me. I took your concerns up on your behalf and have now "
    "received the enclosed reply, which I thought you would want to see.\n\nIf there is anything more I can do, "
    "please do not hesitate to get in touch, quoting the reference {{ case_reference }}.\n\n{{ mp_name }} MP\n"
    "Member of Parliament for {{ constituency }}",
)

# The bulk reply to everyone who wrote about knife crime (Letters > Bulk replies).
BULK_TEMPLATE = (
    "Knife crime: reply to constituents",
    "Knife crime in Milton Keynes ({{ case_reference }})",
    "Thank you for contacting me about knife crime in Milton Keynes. I share your concern.\n\n"
    "I have written to the Home Secretary and met the Police and Crime Commissioner to press for a long-term, "
    "joined-up response from the police, the courts and the Crown Prosecution Service, and I will keep you "
    "informed of the replies I receive.\n\nIf you would like to add anything, please quote the reference "
    "{{ case_reference }}.",
)

JOINT_BODY = """As the two Members of Parliament for Milton Keynes, we are writing to you jointly about the rise in knife crime in our city, which is causing deep concern among our constituents.

Knife crime in Milton Keynes has risen by 90% over the last two years, and Milton Keynes is now among the three fastest-growing areas for knife crime of the 43 police force areas of England and Wales. A 16-year-old was fatally stabbed at MK College, and a further death means that our community has now suffered the fourth fatal stabbing in 13 weeks.

Our constituents have told us plainly what they want. In Iain Stewart's constituency survey, "Build Back Better in Milton Keynes South", 39% of respondents said that tackling crime and anti-social behaviour should be the local priority.

We have each met the Police and Crime Commissioner, Matthew Barber, and local officers, in Oldbrook and in Netherfield, to discuss violent crime, its causes and the possible answers. We welcome the work of Thames Valley Police with the Violence Reduction Unit.

This is not a complaint about police numbers: recruitment is continuing, and we welcome it. We are asking for more innovative solutions. We believe that Milton Keynes needs a long-term, holistic approach, in which the police, the courts and the Crown Prosecution Service work together to create real deterrents to carrying a knife.

We would like to invite you to visit Milton Keynes, to meet the people working on this and the families affected, and to see for yourself what more could be done here.

We look forward to hearing from you."""

PCC_BODY = """Thank you for meeting me and local officers in Oldbrook to discuss violent crime in Milton Keynes North, its causes and what might be done about it.

As we discussed, knife crime in Milton Keynes has risen by 90% in two years. My constituents want to see a visible response, and I am pressing the Home Office and Thames Valley Police for a tougher one.

I would be grateful if you could set out the further steps you intend to take with Thames Valley Police and the Violence Reduction Unit, and how the community in Oldbrook can support them."""

NETHERFIELD_BODY = """Thank you for meeting me and local officers in Netherfield. Following our discussion, I am writing to ask what additional patrols and youth engagement you and Thames Valley Police plan for Netherfield and the surrounding estates over the coming months.

My constituents in {{ constituency }} have raised knife crime with me repeatedly, and I would welcome a meeting to discuss the force's plans."""


THAMES_VALLEY = "E23000029"


def _address_book(office: Office) -> dict[str, Post]:
    posts: dict[str, Post] = {}
    for spec in ADDRESS_BOOK:
        organisation, _ = Organisation.objects.get_or_create(
            office=office,
            name=spec["name"],
            defaults={"address": spec["address"], "email": spec["email"], "reply_target_working_days": spec["target"]},
        )
        for title, salutation, holders in spec["posts"]:
            post, _ = Post.objects.get_or_create(
                office=office, organisation=organisation, title=title, defaults={"salutation": salutation}
            )
            for name, started_on, ended_on in holders:
                PostHolder.objects.get_or_create(
                    office=office, post=post, name=name, started_on=started_on, defaults={"ended_on": ended_on}
                )
            posts[title] = post
    # The PCC and the force are tied to Thames Valley's police force area (E23000029), so "the PCC
    # for this constituent's area" finds them from a constituent's postcode.
    Post.objects.filter(office=office, organisation__name__startswith="Office of the Police and Crime").update(
        area_role=Post.AreaRole.PCC, area_code=THAMES_VALLEY
    )
    Post.objects.filter(office=office, organisation__name="Thames Valley Police").update(
        area_role=Post.AreaRole.POLICE, area_code=THAMES_VALLEY
    )
    signposting_template_ensure(office=office)
    LetterTemplate.objects.get_or_create(
        office=office,
        name=COVERING_TEMPLATE[0],
        defaults={"subject": COVERING_TEMPLATE[1], "body": COVERING_TEMPLATE[2]},
    )
    LetterTemplate.objects.get_or_create(
        office=office, name=BULK_TEMPLATE[0], defaults={"subject": BULK_TEMPLATE[1], "body": BULK_TEMPLATE[2]}
    )
    return posts


def _knife_crime(office: Office) -> tuple[Campaign | None, list[Case]]:
    campaign = Campaign.objects.filter(office=office, name=CAMPAIGN_NAME).first()
    if campaign is None:
        return None, []
    return campaign, list(campaign.cases.order_by("opened_at")[:5])


def _membership(office: Office, role: str) -> Membership | None:
    return Membership.objects.filter(office=office, role=role, is_active=True).select_related("user").first()


def _user(office: Office, role: str):
    membership = _membership(office, role)
    return membership.user if membership else get_user_model().objects.none().first()


def _letter(office: Office, subject: str, log, **kwargs) -> Letter | None:
    if Letter.objects.filter(office=office, subject=subject).exists():
        return None
    letter = services.letter_create(office=office, by=_user(office, Role.CASEWORKER), subject=subject, **kwargs)
    log(f"Drafted letter {letter.reference} ({office.reference_prefix}): {subject}")
    return letter


def _approve_all(letter: Letter) -> None:
    services.letter_submit(letter=letter, by=_user(letter.office, Role.CASEWORKER))
    for signatory in list(letter.signatories.select_related("office")):
        services.letter_approve(letter=letter, member=_membership(signatory.office, Role.MP))


def load(*, log: Callable[[str], None]) -> None:
    offices = {office.reference_prefix: office for office in Office.objects.filter(reference_prefix__in=["MKN", "MKS"])}
    if len(offices) < 2:
        log("Letters demo skipped: the MKN and MKS demo offices are not there.")
        return
    mkn, mks = offices["MKN"], offices["MKS"]
    posts = {prefix: _address_book(office) for prefix, office in offices.items()}
    today = timezone.localdate()

    # The joint letter: drafted in MK South, co-signed by MK North, sent two weeks ago.
    campaign, cases = _knife_crime(mks)
    joint = _letter(
        mks,
        JOINT_SUBJECT,
        log,
        body=JOINT_BODY,
        recipient_post=posts["MKS"]["Home Secretary"],
        campaign=campaign,
        cases=cases,
    )
    if joint:
        services.letter_invite_cosigner(letter=joint, by=_user(mks, Role.STAFF), office=mkn)
        _approve_all(joint)
        services.letter_send(
            letter=joint, by=_user(mks, Role.STAFF), channel=Letter.Channel.EMAIL, sent_on=today - timedelta(days=14)
        )

    # Ben Everitt's letter to the PCC after the Oldbrook meeting: sent, and answered.
    campaign, cases = _knife_crime(mkn)
    pcc = _letter(
        mkn,
        "Our meeting in Oldbrook about violent crime",
        log,
        body=PCC_BODY,
        recipient_post=posts["MKN"]["Police and Crime Commissioner for Thames Valley"],
        campaign=campaign,
        cases=cases,
    )
    if pcc:
        _approve_all(pcc)
        sent_on = today - timedelta(days=60)
        services.letter_send(letter=pcc, by=_user(mkn, Role.STAFF), channel=Letter.Channel.POST, sent_on=sent_on)
        services.reply_record(
            letter=pcc,
            by=_user(mkn, Role.STAFF),
            received_on=sent_on + timedelta(days=23),
            from_name="Matthew Barber, Police and Crime Commissioner",
            summary="Sets out extra funding for the Violence Reduction Unit's work in Milton Keynes and offers a "
            "follow-up meeting with the local policing area commander.",
            outcome="action",
        )

    # Iain Stewart to the PCC after Netherfield: sent by post, reply now overdue.
    overdue = _letter(
        mks,
        "Patrols and youth engagement in Netherfield",
        log,
        body=NETHERFIELD_BODY,
        recipient_post=posts["MKS"]["Police and Crime Commissioner for Thames Valley"],
    )
    if overdue:
        _approve_all(overdue)
        services.letter_send(
            letter=overdue, by=_user(mks, Role.STAFF), channel=Letter.Channel.POST, sent_on=today - timedelta(days=45)
        )

    # Drafts waiting for each MP.
    waiting = [
        (
            mkn,
            "Youth services and street lighting in Milton Keynes North",
            "Leader of the Council",
            "{{ salutation }},\n\nSeveral constituents have asked me about youth provision and street lighting on "
            "the redways, which they link to their fear of knife crime. I would be grateful for the council's plans.",
        ),
        (
            mks,
            "Charging decisions in knife-crime cases",
            "Director of Public Prosecutions",
            "I am writing on behalf of constituents in {{ constituency }} about how quickly knife-possession cases "
            "in Milton Keynes reach a charging decision, and what the Crown Prosecution Service is doing with the "
            "police and the courts to make the deterrent real.",
        ),
    ]
    for office, subject, post_title, body in waiting:
        draft = _letter(office, subject, log, body=body, recipient_post=posts[office.reference_prefix][post_title])
        if draft:
            services.letter_submit(letter=draft, by=_user(office, Role.CASEWORKER))
