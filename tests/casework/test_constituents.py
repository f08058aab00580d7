from django.urls import reverse

from casework.models import Case, CaseConstituent, Constituent, ConstituentMerge, Contact, PostcodeWard
from casework.services import constituent_merge, postcode_wards_import
from tests.casework.factories import CaseFactory, ConstituentFactory, ContactFactory
from tests.mpoffice.factories import WardFactory

VALID = {
    "kind": "person",
    "first_name": "Priya",
    "last_name": "Fictional",
    "address_line1": "1 Example Way",
    "town": "Milton Keynes",
    "postcode": "mk93hq",
    "email": "Priya@Example.org",
    "phone": "01908 123456",
    "preferred_channel": "email",
    "consent_to_contact": "on",
}


def test_caseworker_creates_constituent_with_normalised_postcode_phone_and_ward(office, caseworker, client_for):
    ward = WardFactory(office=office, name="Central Milton Keynes")
    PostcodeWard.objects.create(office=office, postcode="MK9 3HQ", ward=ward)

    response = client_for(caseworker).post(reverse("casework:constituent-create"), VALID)

    constituent = Constituent.objects.get(office=office)
    assert response.status_code == 302 and response["Location"] == constituent.get_absolute_url()
    assert (constituent.postcode, constituent.phone, constituent.email) == (
        "MK9 3HQ",
        "+441908123456",
        "priya@example.org",
    )
    assert constituent.ward == ward


def test_bad_postcode_phone_and_email_show_errors_with_examples_and_save_nothing(office, caseworker, client_for):
    data = {**VALID, "postcode": "NOT A POSTCODE", "phone": "12345", "email": "priya@"}

    response = client_for(caseworker).post(reverse("casework:constituent-create"), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert "MK9 3HQ" in form.errors["postcode"][0]
    assert "01908 555125 or 07700 900123" in form.errors["phone"][0]
    assert "name@example.org" in form.errors["email"][0]
    assert not Constituent.objects.exists()


def test_organisation_needs_its_name(office, caseworker, client_for):
    data = {**VALID, "kind": "organisation", "organisation_name": ""}
    response = client_for(caseworker).post(reverse("casework:constituent-create"), data)
    assert "organisation_name" in response.context["form"].errors
    assert not Constituent.objects.exists()


def test_likely_duplicates_are_shown_before_saving_and_save_anyway_saves(office, caseworker, client_for):
    existing = ConstituentFactory(office=office, first_name="P.", last_name="Fictional", postcode="MK9 3HQ", email="")
    same_email = ConstituentFactory(office=office, email="priya@example.org", postcode="MK2 2AA")
    other_office_twin = ConstituentFactory(email="priya@example.org")  # another office: never offered
    client = client_for(caseworker)

    response = client.post(reverse("casework:constituent-create"), VALID)

    assert response.status_code == 200
    assert set(response.context["duplicates"]) == {existing, same_email}
    assert other_office_twin not in response.context["duplicates"]
    assert b"save anyway" in response.content
    assert Constituent.objects.filter(office=office).count() == 2

    response = client.post(reverse("casework:constituent-create"), {**VALID, "save_anyway": "on"})
    assert response.status_code == 302
    assert Constituent.objects.filter(office=office).count() == 3


def test_mp_cannot_create_or_edit_constituents(office, mp, client_for):
    constituent = ConstituentFactory(office=office)
    client = client_for(mp)
    assert client.post(reverse("casework:constituent-create"), VALID).status_code == 403
    assert client.get(reverse("casework:constituent-edit", args=[constituent.pk])).status_code == 403


def test_caseworker_edits_constituent(office, caseworker, client_for):
    constituent = ConstituentFactory(office=office)
    response = client_for(caseworker).post(
        reverse("casework:constituent-edit", args=[constituent.pk]), {**VALID, "phone": "07400 123456"}
    )
    assert response.status_code == 302
    constituent.refresh_from_db()
    assert constituent.phone == "+447400123456" and constituent.last_name == "Fictional"


def test_constituent_search_finds_by_name_postcode_email_and_phone(office, mp, client_for):
    alice = ConstituentFactory(
        office=office, first_name="Alice", last_name="Zephyr", postcode="MK6 3BX", phone="+441908111222"
    )
    ConstituentFactory(office=office, first_name="Bob", last_name="Other", postcode="MK9 3HQ", phone="")
    ConstituentFactory(first_name="Alice", last_name="Zephyr")  # another office
    client = client_for(mp)
    for query in ("zeph", "Alice Z", "mk63bx", "MK6", alice.email.upper(), "01908 111222"):
        response = client.get(reverse("casework:constituent-list"), {"q": query})
        assert list(response.context["page"]) == [alice], query


def test_constituent_list_query_count_is_fixed(office, mp, client_for, django_assert_max_num_queries):
    client = client_for(mp)
    ConstituentFactory.create_batch(2, office=office)
    # 10: the page's own, the unread-notifications badge and the two-factor device check.
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("casework:constituent-list"))
    ConstituentFactory.create_batch(48, office=office)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("casework:constituent-list"))
    assert len(response.context["page"]) == 25


def test_constituent_page_shows_cases_contacts_and_log_a_call(office, caseworker, client_for):
    constituent = ConstituentFactory(office=office)
    case = CaseFactory(office=office, constituents=[constituent], summary="Broken lift")
    ContactFactory(office=office, constituent=constituent, summary="Rang about the lift")

    response = client_for(caseworker).get(constituent.get_absolute_url())

    assert case in response.context["cases"]
    assert b"Rang about the lift" in response.content
    call_url = reverse("casework:constituent-contact-create", args=[constituent.pk]) + "?channel=phone"
    assert call_url.encode() in response.content


def test_caseworker_does_not_see_anothers_sensitive_case_on_constituent_page(office, caseworker, staff, client_for):
    constituent = ConstituentFactory(office=office)
    open_case = CaseFactory(office=office, constituents=[constituent], summary="Broken lift")
    CaseFactory(office=office, constituents=[constituent], is_sensitive=True, assignee=staff.user, summary="Secret")
    response = client_for(caseworker).get(constituent.get_absolute_url())
    assert list(response.context["cases"]) == [open_case]
    assert b"Secret" not in response.content


def test_person_known_only_through_a_hidden_sensitive_case_is_not_found(office, caseworker, staff, client_for):
    # Their name and address would tell what the sensitive case is about.
    constituent = ConstituentFactory(office=office)
    CaseFactory(office=office, constituents=[constituent], is_sensitive=True, assignee=staff.user, summary="Secret")
    assert client_for(caseworker).get(constituent.get_absolute_url()).status_code == 404
    assert client_for(staff).get(constituent.get_absolute_url()).status_code == 200


# --- Merge --------------------------------------------------------------------------------


def test_merge_moves_every_row_and_loses_none(office, staff):
    survivor = ConstituentFactory(office=office, phone="")
    merged = ConstituentFactory(office=office, phone="+441908123456")
    shared_case = CaseFactory(office=office, constituents=[survivor, merged])
    own_case = CaseFactory(office=office, constituents=[merged])
    written_case = CaseFactory(
        office=office,
        correspondent=merged,
        correspondent_relationship="relative",
        correspondent_consent="Agreed by phone",
    )
    ContactFactory.create_batch(3, office=office, constituent=merged)
    earlier = ConstituentFactory(office=office)
    constituent_merge(survivor=merged, merged=earlier, by=staff.user)
    contacts_before = Contact.objects.count()

    merge = constituent_merge(survivor=survivor, merged=merged, by=staff.user)

    assert set(survivor.cases.all()) == {shared_case, own_case}
    assert CaseConstituent.objects.filter(case=shared_case).count() == 1  # the duplicate link is folded
    assert Case.objects.get(pk=written_case.pk).correspondent == survivor
    assert Contact.objects.filter(constituent=survivor).count() == 3
    assert Contact.objects.count() == contacts_before
    assert not Contact.objects.filter(constituent=merged).exists()
    merged.refresh_from_db()
    earlier.refresh_from_db()
    assert merged.merged_into == survivor and earlier.merged_into == survivor
    survivor.refresh_from_db()
    assert survivor.phone == "+441908123456"  # what the survivor lacked is kept
    assert merge.merged_by == staff.user
    assert merge.moved["casework.Contact.constituent"] == 3
    assert merge.moved["casework.CaseConstituent.constituent"] == 1
    assert merge.moved["casework.CaseConstituent.constituent (duplicate links removed)"] == 1
    assert ConstituentMerge.objects.filter(survivor=merged, merged=earlier).exists()  # history kept


def test_staff_merge_through_the_page(office, staff, client_for):
    survivor = ConstituentFactory(office=office, email="same@example.org")
    merged = ConstituentFactory(office=office, email="same@example.org")
    CaseFactory(office=office, constituents=[merged])
    client = client_for(staff)

    page = client.get(reverse("casework:constituent-merge", args=[merged.pk]))
    assert survivor in page.context["candidates"]
    response = client.post(reverse("casework:constituent-merge", args=[merged.pk]), {"survivor": survivor.pk})

    assert response.status_code == 302
    assert survivor.cases.count() == 1
    assert client.get(merged.get_absolute_url()).status_code == 404  # merged records leave the lists


def test_caseworker_cannot_merge(office, caseworker, client_for):
    survivor, merged = ConstituentFactory.create_batch(2, office=office)
    response = client_for(caseworker).post(
        reverse("casework:constituent-merge", args=[merged.pk]), {"survivor": survivor.pk}
    )
    assert response.status_code == 403
    merged.refresh_from_db()
    assert merged.merged_into is None


def test_merge_into_another_offices_constituent_is_refused(office, staff, client_for):
    merged = ConstituentFactory(office=office)
    foreign = ConstituentFactory()
    response = client_for(staff).post(reverse("casework:constituent-merge", args=[merged.pk]), {"survivor": foreign.pk})
    assert response.status_code == 200 and response.context["form"].errors
    merged.refresh_from_db()
    assert merged.merged_into is None


def test_suspected_duplicates_list_groups_by_email_phone_and_name(office, staff, caseworker, client_for):
    a = ConstituentFactory(office=office, email="dup@example.org")
    b = ConstituentFactory(office=office, email="DUP@example.org")
    c = ConstituentFactory(office=office, first_name="Jo", last_name="Bloggs", postcode="MK9 3HQ")
    d = ConstituentFactory(office=office, first_name="Joanne", last_name="bloggs", postcode="MK9 3HQ")
    ConstituentFactory(office=office)  # unique

    response = client_for(staff).get(reverse("casework:constituent-duplicates"))

    groups = {(g.reason, frozenset(g.members)) for g in response.context["groups"]}
    assert ("Same e-mail", frozenset({a, b})) in groups
    assert ("Similar name at the same postcode", frozenset({c, d})) in groups
    assert client_for(caseworker).get(reverse("casework:constituent-duplicates")).status_code == 403


# --- Postcode table -----------------------------------------------------------------------


def _csv(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("postcodes.csv", text.encode(), content_type="text/csv")


def test_staff_upload_postcode_table_sets_wards(office, staff, client_for):
    ward = WardFactory(office=office, name="Bletchley East")
    constituent = ConstituentFactory(office=office, postcode="MK2 2AA")

    response = client_for(staff).post(
        reverse("casework:postcode-upload"),
        {"file": _csv("postcode,ward\nmk22aa,Bletchley East\nMK3 5AB,bletchley east\n")},
    )

    assert response.status_code == 302
    assert set(PostcodeWard.objects.filter(office=office).values_list("postcode", flat=True)) == {"MK2 2AA", "MK3 5AB"}
    constituent.refresh_from_db()
    assert constituent.ward == ward


def test_postcode_upload_with_a_bad_row_saves_nothing_and_names_the_row(office, staff, client_for):
    WardFactory(office=office, name="Bletchley East")
    response = client_for(staff).post(
        reverse("casework:postcode-upload"),
        {"file": _csv("postcode,ward\nMK2 2AA,Bletchley East\nMK3 5AB,Atlantis\nXX,Bletchley East\n")},
    )
    assert response.status_code == 200
    assert [(row, column) for row, column, _ in response.context["result"].errors] == [(3, "ward"), (4, "postcode")]
    assert not PostcodeWard.objects.exists()


def test_postcode_upload_with_wrong_columns_lists_expected_ones(office, staff, client_for):
    response = client_for(staff).post(reverse("casework:postcode-upload"), {"file": _csv("pc,area\nMK2 2AA,x\n")})
    assert "postcode,ward" in response.context["form"].errors["file"][0]


def test_caseworker_cannot_upload_postcode_table(office, caseworker, client_for):
    assert client_for(caseworker).get(reverse("casework:postcode-upload")).status_code == 403


def test_postcode_import_updates_changed_wards(office):
    first, second = WardFactory(office=office, name="A"), WardFactory(office=office, name="B")
    postcode_wards_import(office=office, rows=[{"postcode": "MK9 3HQ", "ward": "A"}])
    result = postcode_wards_import(office=office, rows=[{"postcode": "MK9 3HQ", "ward": "B"}])
    assert (result.created, result.updated) == (0, 1)
    assert PostcodeWard.objects.get(office=office).ward == second
    assert first
