from django.contrib import admin

from letters.models import (
    Letter,
    LetterSignatory,
    LetterTemplate,
    LetterTransition,
    Organisation,
    Post,
    PostHolder,
    Reply,
)


class PostHolderInline(admin.TabularInline):
    model = PostHolder
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "email", "reply_target_working_days"]
    list_filter = ["office"]
    search_fields = ["name"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "office"]
    list_filter = ["office"]
    inlines = [PostHolderInline]


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "updated_at"]
    list_filter = ["office"]


class SignatoryInline(admin.TabularInline):
    model = LetterSignatory
    extra = 0


class TransitionInline(admin.TabularInline):
    model = LetterTransition
    extra = 0
    readonly_fields = ["from_status", "to_status", "by", "at", "comment", "office"]


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject", "office", "status", "sent_on", "reply_due_on"]
    list_filter = ["office", "status"]
    search_fields = ["reference", "subject"]
    readonly_fields = ["reference", "version", "pdf", "pdf_sha256", "sent_on", "sent_channel", "sent_to"]
    raw_id_fields = ["recipient_constituent", "encloses_reply"]
    inlines = [SignatoryInline, TransitionInline]


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["letter", "from_name", "received_on", "outcome", "office"]
    list_filter = ["office", "outcome"]
