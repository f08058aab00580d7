"""How a person on the staff is named on a page, including when there is nobody.

Many relations to a user are nullable (the person left, or nobody was chosen), and a template
chain through an empty one breaks a page for good when it is a filter's argument
(``{{ x.owner.get_full_name|default:x.owner.username }}`` raises once ``owner`` is None).
"""

from django import template

register = template.Library()


@register.filter
def person_name(user, nobody: str = "") -> str:
    """``{{ action.owner|person_name:"no owner" }}``: full name, else user name, else ``nobody``."""
    if not user:
        return nobody
    return user.get_full_name() or user.get_username()
