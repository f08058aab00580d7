"""Django admin for casework: for superusers looking into data, read-mostly. Offices' staff
use the casework pages, which check the office and role on every request."""

from django.contrib import admin

from casework.models import Case, Constituent, ConstituentMerge, Contact, PostcodeWard, Topic


@admin.register(Constituent)
class ConstituentAdmin(admin.ModelAdmin):
    list_display = ["display_name", "office", "postcode", "ward", "email", "merged_into"]
    list_filter = ["office", "kind"]
    search_fields = ["last_name", "first_name", "organisation_name", "email", "postcode"]
    list_select_related = ["office", "ward"]
    raw_id_fields = ["merged_into", "created_by", "ward"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "summary", "office", "status", "assignee", "opened_at"]
    list_filter = ["office", "status", "is_sensitive"]
    search_fields = ["reference", "summary"]
    list_select_related = ["office", "assignee"]
    raw_id_fields = ["correspondent", "topic", "assignee", "created_by"]
    filter_horizontal = []


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["summary", "office", "channel", "direction", "occurred_at"]
    list_filter = ["office", "channel"]
    raw_id_fields = ["constituent", "case", "staff"]
    list_select_related = ["office"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["__str__", "office", "is_active"]
    list_filter = ["office", "is_active"]


@admin.register(ConstituentMerge)
class ConstituentMergeAdmin(admin.ModelAdmin):
    list_display = ["survivor", "merged", "merged_by", "merged_at"]
    raw_id_fields = ["survivor", "merged", "merged_by"]


admin.site.register(PostcodeWard)
