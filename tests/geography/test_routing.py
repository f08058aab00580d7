"""Letters to "the council for this constituent" and "the PCC for this constituent's area"."""

from __future__ import annotations

from django.urls import reverse

from casework.models import CaseConstituent
from casework.services import constituent_create
from geography import services as geo_services
from letters.models import Letter, LetterTemplate, Post
from tests.casework.factories import CaseFactory
from tests.geography.conftest import AUG_2024, fixture_rows
from tests.letters.factories import make_post

THAMES_VALLEY, BEDFORDSHIRE = "E23000029", "E23000026"


def _case_for(office, by, row):
    person = constituent_create(office=office, by=by, first_name="Priya", last_name="Fictional", postcode=row["pcds"])
    case = CaseFactory(office=office)
    CaseConstituent.objects.create(office=office, case=case, constituent=person)
    return case


def _draft(client, case, route):
    return client.post(
        reverse("letters:create"),
        {
            "subject": "Anti-social behaviour",
            "body": "Dear colleague,\n\nI write about my constituent.",
            "recipient_kind": "post",
            "recipient_route": route,
            "case_references": case.reference,
        },
    )


def test_the_pcc_and_the_council_for_the_constituent_are_found_by_their_postcode(
    db, office, staff, client_for, aug_2024
):
    thames = make_post(
        office, holder="A Commissioner", title="Police and Crime Commissioner", name="OPCC Thames Valley"
    )
    beds = make_post(office, holder="B Commissioner", title="Police and Crime Commissioner", name="OPCC Bedfordshire")
    council = make_post(office, holder="C Leader", title="Leader of the Council", name="Milton Keynes City Council")
    Post.objects.filter(pk=thames.pk).update(area_role=Post.AreaRole.PCC, area_code=THAMES_VALLEY)
    Post.objects.filter(pk=beds.pk).update(area_role=Post.AreaRole.PCC, area_code=BEDFORDSHIRE)
    Post.objects.filter(pk=council.pk).update(area_role=Post.AreaRole.COUNCIL, area_code="E06000042")
    rows = fixture_rows(AUG_2024)
    in_mk = next(r for r in rows if r["pfa"] == THAMES_VALLEY and r["oslaua"] == "E06000042" and not r["doterm"])
    in_beds = next(r for r in rows if r["pfa"] == BEDFORDSHIRE and not r["doterm"])
    client = client_for(staff)

    for row, route, expected in (
        (in_mk, "pcc", thames),
        (in_beds, "pcc", beds),
        (in_mk, "council", council),
    ):
        response = _draft(client, _case_for(office, staff.user, row), route)
        assert response.status_code == 302, response.content.decode()[:2000]
        letter = Letter.objects.order_by("-pk").first()
        assert letter.recipient_post == expected

    # Central Bedfordshire's council is not in the address book: a clear message, nothing saved.
    count = Letter.objects.count()
    response = _draft(client, _case_for(office, staff.user, in_beds), "council")
    page = response.content.decode()
    assert "No post in the address book is tied to Central Bedfordshire (E06000056)" in page
    assert Letter.objects.count() == count


def test_setting_the_constituency_gives_the_office_a_signposting_template(db, office, staff):
    geo_services.office_area_set(office=office, by=staff.user, constituency_code="E14001376")
    template = LetterTemplate.objects.get(office=office, name="Not our constituent: signposting")
    assert "{{ constituency }}" in template.body and "your own mp" in template.body.lower()
    template.body = "Edited by staff: {{ constituency }}"
    template.save()
    geo_services.office_area_set(office=office, by=staff.user, constituency_code="E14001377")
    template.refresh_from_db()
    assert template.body == "Edited by staff: {{ constituency }}"
