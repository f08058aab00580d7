"""Letters pages: single letters and replies (letters.py), the address book and templates
(directory.py), bulk replies (bulk.py), and recording an inbox e-mail as a reply (inbox.py)."""
