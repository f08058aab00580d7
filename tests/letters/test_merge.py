import pytest
from django.core.exceptions import ValidationError

from letters import merge
from letters.models import LetterTemplate
from tests.letters.factories import TemplateFactory

HOSTILE = [
    "{{ constituent.__class__ }}",
    "{{ constituent_name.__class__.__mro__ }}",
    "{{ settings.SECRET_KEY }}",
    "{{ request.user.password }}",
    '{% include "/etc/passwd" %}',
    "{% load static %}",
    "{% debug %}",
    "{{ mp_name|upper }}",
    "{{ mp_name | safe }}",
    "{# hidden #}",
    "{{ mp_name }",
    "{% ssi '/etc/passwd' %}",
    "${7*7} {{7*7}}",
    "{{ unknown_field }}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_template_is_refused_and_never_rendered(text):
    problems = merge.template_problems(f"Dear friend, {text}")
    assert problems
    assert "Allowed fields" in problems[-1]
    with pytest.raises(merge.MergeError):
        merge.render(text, {"mp_name": "Iain Stewart"})


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_template_cannot_be_saved(office, text):
    template = LetterTemplate(office=office, name="Hostile", body=f"Hello {text}")
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    assert "body" in error.value.message_dict


def test_known_fields_render_and_values_are_never_expanded_twice():
    text = "{{ salutation }},\n\n{{constituent_name}} lives in {{ constituency }}."
    values = {"salutation": "Dear Ms X", "constituent_name": "{{ mp_name }} <b>", "constituency": "MK South"}
    assert merge.render(text, values) == "Dear Ms X,\n\n{{ mp_name }} <b> lives in MK South."


def test_unknown_field_message_lists_the_allowed_fields():
    problems = merge.template_problems("Dear {{ first_name }}")
    assert "Unknown merge field: first_name." in problems
    assert "{{ constituent_name }}" in problems[-1]


def test_staff_saving_an_unknown_field_sees_the_allowed_list_and_keeps_their_text(staff, client_for):
    response = client_for(staff).post(
        "/letters/templates/new/", {"name": "Thanks", "subject": "Thanks", "body": "Dear {{ first_name }}, my text"}
    )
    assert response.status_code == 200
    assert not LetterTemplate.objects.exists()
    content = response.content.decode()
    assert "Unknown merge field: first_name." in content
    assert "{{ constituent_name }}" in content
    assert "Dear {{ first_name }}, my text" in content  # nothing typed is lost


def test_saved_template_text_is_escaped_in_the_preview(office, mp, client_for):
    from tests.letters.factories import make_letter

    letter = make_letter(office, body="<script>alert(1)</script> {{ mp_name }}")
    response = client_for(mp).get(f"/letters/{letter.pk}/preview/")
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content
    assert b"Iain Stewart" in response.content


def test_template_factory_is_valid(office):
    TemplateFactory(office=office).full_clean()
