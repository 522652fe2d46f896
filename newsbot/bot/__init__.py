"""The Telegram bot: the composition root (``app``) and one module per feature."""
