"""``{{ constituent.phone|phone }}``: a stored E.164 number shown as people write it in the UK."""

from django import template

from casework.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    return phone_display(value or "")
