"""The device kit: what the kiosk, counter and display apps share (their config file, clock,
app shell, big-glyph font and alert wording). Below the apps, above the queue API's client."""
