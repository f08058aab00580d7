import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from letters.demo import JOINT_SUBJECT
from letters.models import Letter, LetterSignatory, Status
from letters.pdf import letter_pdf


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())


def test_demo_loads_the_story_and_a_second_run_changes_nothing(demo):
    counts = Letter.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Letter.objects.count() == counts == 5

    joint = Letter.objects.get(office__reference_prefix="MKS", subject=JOINT_SUBJECT)
    assert joint.status == Status.SENT
    assert not joint.is_reply_overdue()
    assert {s.office.reference_prefix for s in joint.signatories.all()} == {"MKS", "MKN"}
    assert set(joint.signatories.values_list("state", flat=True)) == {LetterSignatory.State.APPROVED}
    assert joint.recipient_snapshot["name"] == "Priti Patel"
    for fact in ("90%", "fourth fatal stabbing in 13 weeks", "39%", "visit Milton Keynes", "Crown Prosecution Service"):
        assert fact in joint.body
    assert Letter.objects.filter(status=Status.SENT, reply_due_on__lt=timezone.localdate()).count() == 1  # one overdue
    assert Letter.objects.filter(status=Status.REPLY_RECEIVED, office__reference_prefix="MKN").count() == 1
    waiting = Letter.objects.filter(status=Status.AWAITING_APPROVAL)
    assert {letter.office.reference_prefix for letter in waiting} == {"MKN", "MKS"}


def test_demo_joint_letter_pdf_names_both_mps_the_recipient_and_the_reference(demo):
    joint = Letter.objects.get(office__reference_prefix="MKS", subject=JOINT_SUBJECT)
    for pdf_bytes in (joint.pdf.read(), letter_pdf(joint, joint.sent_on)):
        reader = PdfReader(io.BytesIO(pdf_bytes))
        text = " ".join(page.extract_text() for page in reader.pages)
        text = " ".join(text.split())
        assert "Iain Stewart MP" in text
        assert "Ben Everitt MP" in text
        assert "Priti Patel" in text and "Home Secretary" in text
        assert joint.reference in text
        assert "page 1 of" in text
        assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4 portrait


def test_demo_letters_are_linked_to_the_knife_crime_cases(demo):
    from campaigns.models import Campaign

    joint = Letter.objects.get(office__reference_prefix="MKS", subject=JOINT_SUBJECT)
    # casework's demo always creates the campaign; without it this test must fail, not skip.
    assert Campaign.objects.filter(office=joint.office, name="Knife crime in Milton Keynes").exists()
    assert joint.campaign is not None
    assert all(case.office_id == joint.office_id for case in joint.cases.all())
    assert joint.cases.exists()
