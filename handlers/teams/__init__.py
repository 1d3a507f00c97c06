"""Microsoft Teams edge: Bot Framework auth, Adaptive Cards, sender and /api/messages app."""
