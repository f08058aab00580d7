from django.urls import reverse

from letters.models import LetterTemplate, Organisation, Post


def test_a_second_template_with_the_same_name_is_a_form_error(office, staff, client_for):
    client = client_for(staff)
    data = {"name": "Covering letter", "subject": "Your case", "body": "{{ salutation }},\n\nThank you."}
    assert client.post(reverse("letters:template-create"), data).status_code == 302
    again = client.post(reverse("letters:template-create"), data)
    assert again.status_code == 200
    assert "already exists" in again.content.decode() or "already has" in again.content.decode()
    assert LetterTemplate.objects.filter(office=office).count() == 1


def test_the_same_template_name_in_another_office_is_fine(office, other_office, staff, outsider, client_for):
    data = {"name": "Covering letter", "subject": "Your case", "body": "{{ salutation }},\n\nThank you."}
    client_for(staff).post(reverse("letters:template-create"), data)
    assert client_for(outsider).post(reverse("letters:template-create"), data).status_code == 302
    assert LetterTemplate.objects.count() == 2


def test_duplicate_organisation_and_post_are_form_errors(office, staff, client_for):
    client = client_for(staff)
    data = {"name": "Home Office", "address": "2 Marsham Street", "reply_target_working_days": 20}
    client.post(reverse("letters:organisation-create"), data)
    assert client.post(reverse("letters:organisation-create"), data).status_code == 200
    organisation = Organisation.objects.get(office=office)
    post_url = reverse("letters:post-create", args=[organisation.pk])
    client.post(post_url, {"title": "Home Secretary", "salutation": "Dear Home Secretary"})
    assert client.post(post_url, {"title": "Home Secretary", "salutation": "Dear Home Secretary"}).status_code == 200
    assert Post.objects.filter(organisation=organisation).count() == 1
