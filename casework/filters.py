"""The case list's filters (django-filter). Every choice list is the office's own, so a
filter can never name another office's topic, ward, tag or member."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import Q
from django.utils import timezone

from casework.models import Case, CaseConstituent, Tag, Topic
from mpoffice.models import Ward

DATE = forms.DateInput(attrs={"type": "date"})


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class CaseFilterForm(forms.Form):
    """The filter bar: a Bootstrap grid drawn by crispy, so every control is styled
    (``form-select``, ``form-control``), labelled, and wraps rather than overlaps."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        wide = "col-12 col-sm-6 col-lg-3"
        self.helper.layout = Layout(
            Row(
                *(Column(name, css_class=wide) for name in self.fields if name not in ("overdue",)),
                Column("overdue", css_class=f"{wide} align-self-center"),
                css_class="g-2",
            )
        )


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=[("open_any", "Any open status"), *Case.Status.choices],
        method="filter_status",
        label="Status",
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    # Labels are given: django-filter derives one from the model field, and for a filter with
    # its own method ("ward" is not a field of Case) it would print "[invalid name]".
    topic = django_filters.ModelChoiceFilter(
        queryset=Topic.objects.none(), method="filter_topic", empty_label="Any", label="Topic"
    )
    ward = django_filters.ModelChoiceFilter(
        queryset=Ward.objects.none(), method="filter_ward", empty_label="Any", label="Ward"
    )
    assignee = django_filters.ChoiceFilter(choices=(), method="filter_assignee", empty_label="Anyone", label="Assignee")
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.none(), field_name="tags", empty_label="Any", label="Tag"
    )
    opened_from = django_filters.DateFilter(method="filter_opened_from", label="Opened from", widget=DATE)
    opened_to = django_filters.DateFilter(method="filter_opened_to", label="Opened to", widget=DATE)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Review overdue", widget=forms.CheckboxInput)
    sort = django_filters.OrderingFilter(
        fields=(("opened_at", "opened"), ("reference", "reference"), ("review_by", "review"), ("priority", "priority")),
        field_labels={"opened": "Opened", "reference": "Reference", "review": "Review by", "priority": "Priority"},
        label="Sort by",
        empty_label="Newest first",
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(self, data=None, *args, membership, **kwargs):
        super().__init__(data, *args, **kwargs)
        office = membership.office
        self.filters["topic"].queryset = Topic.objects.for_office(office).select_related("parent")
        self.filters["ward"].queryset = Ward.objects.for_office(office)
        self.filters["tag"].queryset = Tag.objects.for_office(office)
        from casework.selectors import office_members

        self.filters["assignee"].extra["choices"] = [("me", "Me"), ("none", "Nobody")] + [
            (str(m.user_id), m.user.get_full_name() or m.user.get_username()) for m in office_members(office=office)
        ]
        self.membership = membership

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        statuses = set(value)
        if "open_any" in statuses:
            statuses.discard("open_any")
            statuses.update(Case.OPEN_STATUSES)
        return queryset.filter(status__in=statuses)

    def filter_topic(self, queryset, name, topic):
        # A top-level topic also finds the cases filed under its sub-topics.
        return queryset.filter(Q(topic=topic) | Q(topic__parent=topic))

    def filter_ward(self, queryset, name, ward):
        # A case is in a ward when a constituent it concerns lives there (a subquery, so no duplicates).
        concerned = CaseConstituent.objects.filter(office_id=ward.office_id, constituent__ward=ward)
        return queryset.filter(pk__in=concerned.values("case_id"))

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee_id=self.membership.user_id)
        if value == "none":
            return queryset.filter(assignee=None)
        return queryset.filter(assignee_id=value)

    # Dates are turned into London-time instants, so the filter is a range on the indexed
    # opened_at column rather than a cast of every row to a date (a full scan at 150,000 cases).
    def filter_opened_from(self, queryset, name, day):
        return queryset.filter(opened_at__gte=_start_of(day))

    def filter_opened_to(self, queryset, name, day):
        return queryset.filter(opened_at__lt=_start_of(day + timedelta(days=1)))

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=Case.OPEN_STATUSES, review_by__lt=timezone.localdate())
