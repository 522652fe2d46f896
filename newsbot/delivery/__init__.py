"""Delivery stage: the outbox drained to Telegram within its limits.

:mod:`.sender` sends (the :class:`~newsbot.delivery.sender.Deliverer`), :mod:`.ratelimit`
keeps Telegram's flood limits, :mod:`.budget` shares them between instances (database
or Redis), and :mod:`.main` drains the outbox without the bot
(``python -m newsbot.delivery.main``).
"""
