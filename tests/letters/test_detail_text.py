from django.utils.html import escape

from tests.letters.factories import make_letter


def test_mp_approves_the_text_the_recipient_will_read(office, mp, client_for):
    letter = make_letter(
        office, body="{{ salutation }},\n\nKnife crime in {{ constituency }} <script>alert(1)</script>.\n\nSecond."
    )

    html = client_for(mp).get(letter.get_absolute_url()).content.decode()
    text = html.split('class="border rounded p-3 bg-body-tertiary letter-text">')[1].split("</div>")[0]

    assert "{{" not in text
    assert text.count("Dear ") == 1 and "Dear Priti Patel," in text
    assert f"Knife crime in {escape(office.constituency)}" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert "(Priti Patel)" in html  # a draft names the holder of the post today


def test_a_subject_names_its_case_not_a_merge_field(office, mp, client_for):
    from tests.letters.factories import make_case

    case = make_case(office)
    letter = make_letter(office, subject="Your concerns ({{ case_reference }})", cases=[case])
    letter.refresh_from_db()
    assert letter.subject == f"Your concerns ({case.reference})"
