"""``turnero supervisor``: the branch manager's live view of operations (Textual)."""
