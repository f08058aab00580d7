from campaigns import demo as campaigns_demo
from campaigns.models import Campaign
from casework import demo
from casework.models import Case, Constituent, Contact, PostcodeWard
from geography import demo as geography_demo
from mpoffice import demo as office_demo


def _counts():
    return (Constituent.objects.count(), Case.objects.count(), Contact.objects.count(), PostcodeWard.objects.count())


def test_demo_loads_both_offices_and_a_second_run_adds_nothing(db):
    office_demo.load(log=lambda line: None)
    geography_demo.load(log=lambda line: None)  # the postcode directory extract, as load_demo runs it
    demo.load(log=lambda line: None)
    campaigns_demo.load(log=lambda line: None)
    first = _counts()
    demo.load(log=lambda line: None)
    campaigns_demo.load(log=lambda line: None)
    assert _counts() == first
    for prefix in ("MKN", "MKS"):
        assert Constituent.objects.filter(office__reference_prefix=prefix).count() >= 40
        knife = Campaign.objects.get(office__reference_prefix=prefix, name="Knife crime in Milton Keynes")
        assert knife.cases.filter(topic__name="Knife crime").exists()
        assert not knife.cases.exclude(office__reference_prefix=prefix).exists()
    assert Constituent.objects.exclude(ward=None).count() == Constituent.objects.count()
    # The demo's postcodes come from its ONSPD-layout extract: every constituent is placed, inside.
    assert not Constituent.objects.filter(constituency_code="").exists()
    assert not Constituent.objects.filter(outside_constituency=True).exists()
