"""Letters pages: single letters, replies and the directory (letters.py), bulk replies (bulk.py),
and recording an inbox e-mail as a reply (inbox.py)."""
