from django.contrib import admin

from mpoffice.models import Heartbeat, Membership, Office, Ward


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class WardInline(admin.TabularInline):
    model = Ward
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "constituency", "mp_name", "reference_prefix"]
    search_fields = ["name", "constituency", "mp_name"]
    inlines = [MembershipInline, WardInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role", "is_active"]
    list_filter = ["office", "role", "is_active"]
    search_fields = ["user__username", "user__email", "office__name"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["component", "last_seen"]
