from django.urls import reverse

from casework.models import Topic
from tests.casework.factories import TopicFactory


def test_staff_create_two_level_topics(office, staff, client_for):
    client = client_for(staff)
    client.post(reverse("casework:topic-create"), {"name": "Crime & policing"})
    parent = Topic.objects.get(office=office, name="Crime & policing")
    response = client.post(reverse("casework:topic-create"), {"name": "Knife crime", "parent": parent.pk})
    assert response.status_code == 302
    assert str(Topic.objects.get(name="Knife crime")) == "Crime & policing › Knife crime"


def test_a_third_level_is_refused(office, staff, client_for):
    child = TopicFactory(office=office, parent=TopicFactory(office=office))
    response = client_for(staff).post(reverse("casework:topic-create"), {"name": "Deeper", "parent": child.pk})
    assert response.status_code == 200 and "parent" in response.context["form"].errors
    assert not Topic.objects.filter(name="Deeper").exists()


def test_duplicate_topic_name_is_a_form_error(office, staff, client_for):
    TopicFactory(office=office, name="Housing")
    response = client_for(staff).post(reverse("casework:topic-create"), {"name": "housing"})
    assert "name" in response.context["form"].errors


def test_staff_edit_and_deactivate_topic_with_children(office, staff, client_for):
    parent = TopicFactory(office=office, name="Housing")
    child = TopicFactory(office=office, name="Repairs", parent=parent)
    client = client_for(staff)
    client.post(reverse("casework:topic-edit", args=[parent.pk]), {"name": "Housing & planning"})
    client.post(reverse("casework:topic-set-active", args=[parent.pk]), {"active": "0"})
    parent.refresh_from_db()
    child.refresh_from_db()
    assert parent.name == "Housing & planning" and not parent.is_active and not child.is_active


def test_caseworker_cannot_see_or_change_topics(office, caseworker, client_for):
    topic = TopicFactory(office=office)
    client = client_for(caseworker)
    assert client.get(reverse("casework:topic-list")).status_code == 403
    assert client.post(reverse("casework:topic-create"), {"name": "X"}).status_code == 403
    assert client.post(reverse("casework:topic-edit", args=[topic.pk]), {"name": "X"}).status_code == 403
    assert client.post(reverse("casework:topic-set-active", args=[topic.pk]), {"active": "0"}).status_code == 403
    topic.refresh_from_db()
    assert topic.is_active and topic.name != "X"


def test_mp_reads_topics_but_cannot_edit(office, mp, client_for):
    TopicFactory(office=office, name="Immigration")
    client = client_for(mp)
    assert b"Immigration" in client.get(reverse("casework:topic-list")).content
    assert client.post(reverse("casework:topic-create"), {"name": "X"}).status_code == 403
