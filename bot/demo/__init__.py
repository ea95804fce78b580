"""``quytac demo``: the whole moderation loop without a token, against the fake Telegram."""
