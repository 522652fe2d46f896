"""newsbot: a Telegram news-digest bot fed by a store of saved Chinese news pages."""

__version__ = "0.1.0"
