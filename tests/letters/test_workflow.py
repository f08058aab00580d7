import pytest

from letters import services
from letters.models import Letter, LetterSignatory, LetterTransition, Status
from letters.selectors import letters_for
from mpoffice.models import Role
from tests.letters.factories import approved_letter, make_case, make_letter
from tests.mpoffice.factories import MembershipFactory


@pytest.fixture
def other_mp(other_office):
    return MembershipFactory(office=other_office, role=Role.MP, user__username="other-mp")


def test_can_transition_follows_the_workflow(office):
    letter = make_letter(office)
    assert letter.can_transition(Status.AWAITING_APPROVAL)
    assert not letter.can_transition(Status.SENT)
    assert not letter.can_transition(Status.APPROVED)
    letter.status = Status.SENT
    assert letter.can_transition(Status.REPLY_RECEIVED)
    assert not letter.can_transition(Status.DRAFT)


def test_not_allowed_transition_is_refused_with_a_clear_message(office, staff):
    letter = make_letter(office)
    with pytest.raises(services.LetterError) as error:
        services.letter_send(letter=letter, by=staff.user, channel="post")
    assert "draft cannot become sent" in str(error.value)
    assert "awaiting mp approval" in str(error.value)
    letter.refresh_from_db()
    assert letter.status == Status.DRAFT


def test_full_workflow_records_every_transition(office, caseworker, staff, mp):
    letter = make_letter(office, by=caseworker.user)
    services.letter_submit(letter=letter, by=caseworker.user)
    services.letter_return(letter=letter, member=mp, comment="Shorter, please.")
    assert letter.status == Status.RETURNED
    services.letter_submit(letter=letter, by=caseworker.user)
    services.letter_approve(letter=letter, member=mp)
    assert letter.status == Status.APPROVED
    services.letter_send(letter=letter, by=staff.user, channel="post")
    services.letter_close(letter=letter, by=staff.user, comment="No reply needed")
    steps = list(LetterTransition.objects.filter(letter=letter).values_list("from_status", "to_status", "comment"))
    assert [(a, b) for a, b, _ in steps] == [
        ("draft", "awaiting_approval"),
        ("awaiting_approval", "returned"),
        ("returned", "awaiting_approval"),
        ("awaiting_approval", "approved"),
        ("approved", "sent"),
        ("sent", "closed"),
    ]
    assert steps[1][2] == "Shorter, please."


def test_only_the_mp_role_approves(office, staff):
    letter = make_letter(office)
    services.letter_submit(letter=letter, by=None)
    with pytest.raises(services.LetterError, match="Only the MP"):
        services.letter_approve(letter=letter, member=staff)


def test_returning_needs_a_comment(office, mp):
    from django.core.exceptions import ValidationError

    letter = make_letter(office)
    services.letter_submit(letter=letter, by=None)
    with pytest.raises(ValidationError):
        services.letter_return(letter=letter, member=mp, comment="  ")
    letter.refresh_from_db()
    assert letter.status == Status.AWAITING_APPROVAL


def test_editing_an_approved_letter_sends_it_back_to_draft_and_clears_approvals(office, mp, caseworker):
    letter = approved_letter(office, mp)
    services.letter_edit(
        letter=letter,
        by=caseworker.user,
        expected_version=letter.version,
        subject=letter.subject,
        body="A new text.",
        recipient_kind="post",
        recipient_post=letter.recipient_post,
        recipient_constituent=None,
        campaign=None,
        cases=[],
    )
    assert letter.status == Status.DRAFT
    signatory = letter.signatories.get()
    assert signatory.state == LetterSignatory.State.PENDING and signatory.approved_by is None


def test_second_editor_of_the_same_draft_gets_a_conflict_not_a_silent_overwrite(office, caseworker, staff):
    letter = make_letter(office)
    opened_version = letter.version
    common = dict(
        recipient_kind="post", recipient_post=letter.recipient_post, recipient_constituent=None, campaign=None, cases=[]
    )
    services.letter_edit(
        letter=letter, by=staff.user, expected_version=opened_version, subject="S", body="First", **common
    )
    with pytest.raises(services.LetterConflict) as conflict:
        services.letter_edit(
            letter=letter, by=caseworker.user, expected_version=opened_version, subject="S", body="Second", **common
        )
    assert "changed by" in str(conflict.value) and "copy it" in str(conflict.value)
    letter.refresh_from_db()
    assert letter.body == "First"


def test_version_conflict_in_the_browser_keeps_the_second_editors_text(office, caseworker, staff, client_for):
    letter = make_letter(office)
    first, second = client_for(staff), client_for(caseworker)
    form = {
        "subject": "Knife crime",
        "recipient_kind": "post",
        "recipient_post": letter.recipient_post_id,
        "case_references": "",
        "campaign": "",
        "version": letter.version,
    }
    assert first.post(f"/letters/{letter.pk}/edit/", {**form, "body": "Staff's text"}).status_code == 302
    response = second.post(f"/letters/{letter.pk}/edit/", {**form, "body": "Caseworker's careful text"})
    assert response.status_code == 409
    content = response.content.decode()
    assert "was changed by" in content and "since you opened it" in content
    assert "Caseworker&#x27;s careful text" in content or "Caseworker's careful text" in content
    letter.refresh_from_db()
    assert letter.body == "Staff's text"


def test_joint_letter_is_listed_in_both_offices_and_each_mp_approves_their_own(
    office, other_office, mp, other_mp, staff
):
    case = make_case(office)
    letter = make_letter(office, cases=[case])
    services.letter_invite_cosigner(letter=letter, by=staff.user, office=other_office)
    assert letters_for(membership=other_mp).filter(pk=letter.pk).exists()
    assert letters_for(membership=mp).filter(pk=letter.pk).exists()

    services.letter_submit(letter=letter, by=staff.user)
    services.letter_approve(letter=letter, member=other_mp)
    assert letter.status == Status.AWAITING_APPROVAL  # still waiting for the drafting MP
    with pytest.raises(services.LetterError):
        services.letter_approve(letter=letter, member=other_mp)  # not twice
    services.letter_approve(letter=letter, member=mp)
    assert letter.status == Status.APPROVED
    states = dict(letter.signatories.values_list("office_id", "approved_by_id"))
    assert states == {office.pk: mp.user_id, other_office.pk: other_mp.user_id}


def test_co_signing_office_sees_the_letter_but_not_the_drafting_offices_cases(
    office, other_office, staff, other_mp, client_for
):
    case = make_case(office, summary="Private matter of a constituent")
    letter = make_letter(office, cases=[case])
    services.letter_invite_cosigner(letter=letter, by=staff.user, office=other_office)
    response = client_for(other_mp).get(f"/letters/{letter.pk}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert letter.subject in content
    assert case.reference not in content and "Private matter" not in content
    assert "Jane Fictional" not in content
    assert client_for(other_mp).get("/letters/").content.decode().count(letter.reference) == 1
    # ...and may not act for the drafting office.
    other_staff = MembershipFactory(office=other_office, role=Role.STAFF)
    assert client_for(other_staff).get(f"/letters/{letter.pk}/edit/").status_code == 403
    assert client_for(other_staff).post(f"/letters/{letter.pk}/send/", {"channel": "post"}).status_code == 403


def test_a_letter_not_co_signed_is_invisible_to_another_office(office, other_mp):
    letter = make_letter(office)
    assert not letters_for(membership=other_mp).filter(pk=letter.pk).exists()


def test_cosigner_cannot_be_own_office_or_added_after_approval(office, other_office, mp, staff):
    letter = make_letter(office)
    with pytest.raises(services.LetterError):
        services.letter_invite_cosigner(letter=letter, by=staff.user, office=office)
    approved = approved_letter(office, mp)
    with pytest.raises(services.LetterError):
        services.letter_invite_cosigner(letter=approved, by=staff.user, office=other_office)


def test_letter_references_are_sequential_per_office(office, other_office):
    first, second = make_letter(office), make_letter(office)
    assert first.reference.startswith("MKS-L-") and first.reference.endswith("-0001")
    assert second.reference.endswith("-0002")
    assert make_letter(other_office).reference.startswith("MKN-L-")
    assert Letter.objects.count() == 3
