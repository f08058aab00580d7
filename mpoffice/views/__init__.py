"""Office pages (office.py: switching, settings, letterhead, health) and notifications (notifications.py)."""
