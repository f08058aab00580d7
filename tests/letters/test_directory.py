"""The address book and letter templates are written through ``letters.services.directory``:
through the pages, each row lands in the member's office with who wrote it."""

from django.urls import reverse

from letters.models import LetterTemplate, Organisation, Post, PostHolder
from mpoffice.models import Role
from tests.letters.factories import OrganisationFactory, PostFactory, TemplateFactory
from tests.mpoffice.factories import MembershipFactory


def test_an_organisation_post_and_holder_added_through_the_pages_belong_to_the_office(office, staff, client_for):
    client = client_for(staff)
    response = client.post(
        reverse("letters:organisation-create"),
        {
            "name": "Thames Valley Police",
            "address": "Oxford Road\nKidlington\nOX5 2NX",
            "reply_target_working_days": 15,
        },
    )
    organisation = Organisation.objects.get(name="Thames Valley Police")
    assert response.status_code == 302 and response["Location"] == organisation.get_absolute_url()
    assert organisation.office == office and organisation.reply_target_working_days == 15

    client.post(
        reverse("letters:post-create", args=[organisation.pk]),
        {"title": "Chief Constable", "salutation": "Dear Chief Constable"},
    )
    post = Post.objects.get(organisation=organisation)
    assert (post.office, post.title) == (office, "Chief Constable")

    response = client.post(
        reverse("letters:holder-create", args=[organisation.pk]),
        {"post": post.pk, "name": "A. Fictional-Officer", "started_on": "2024-04-01"},
    )
    assert response.status_code == 302
    holder = PostHolder.objects.get(post=post)
    assert holder.office == office and holder.name == "A. Fictional-Officer"


def test_a_post_of_another_organisation_cannot_be_given_a_holder_here(office, staff, client_for):
    here = OrganisationFactory(office=office)
    elsewhere = PostFactory(organisation=OrganisationFactory(office=office))
    response = client_for(staff).post(
        reverse("letters:holder-create", args=[here.pk]),
        {"post": elsewhere.pk, "name": "A. Fictional-Officer", "started_on": "2024-04-01"},
    )
    assert response.status_code == 200  # the form offers this organisation's posts only
    assert not PostHolder.objects.exists()


def test_a_template_keeps_who_wrote_it_when_a_colleague_edits_it(office, staff, client_for):
    body = "{{ salutation }},\n\nThank you for your letter about the bus route.\n\n{{ mp_name }}"
    client_for(staff).post(
        reverse("letters:template-create"), {"name": "Bus route", "subject": "Bus route", "body": body}
    )
    template = LetterTemplate.objects.get(office=office, name="Bus route")
    assert template.created_by == staff.user

    colleague = MembershipFactory(office=office, role=Role.STAFF, user__username="colleague")
    response = client_for(colleague).post(
        reverse("letters:template-edit", args=[template.pk]),
        {"name": "Bus route (2025)", "subject": "Bus route", "body": body},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "Bus route (2025)" and template.created_by == staff.user


def test_editing_another_offices_template_is_not_found_and_changes_nothing(office, outsider, client_for):
    template = TemplateFactory(office=office, name="Covering letter")
    response = client_for(outsider).post(
        reverse("letters:template-edit", args=[template.pk]),
        {"name": "Taken over", "subject": "x", "body": "{{ salutation }}"},
    )
    assert response.status_code == 404
    template.refresh_from_db()
    assert template.name == "Covering letter"
