"""The lobby display: who is called to which desk, readable from across the room.

- ``app``: ``DisplayApp``, the thin App that ``turnero display`` runs.
- ``board_screen``: ``BoardScreen``, the whole board (what the demo hosts).
- big glyphs: ``device.big_text`` / ``device.glyphs`` (one font shared by every app).
- ``recent_calls``, ``waiting_counts``, ``ticker``: the smaller parts of the board.
- ``calls``: calls built from events, and which are fresh enough to announce.
- ``announcer``: the queue of announcements, sound-free; ``sound``: the real player.
- ``spoken``: calls in words for speech; ``clock``: injectable time; ``web``: ``--web``.
"""
