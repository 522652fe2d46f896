"""Digest stage: subscriptions, their schedules, choosing and building digests.

:mod:`.subscriptions` reads the commands' arguments into specs, :mod:`.schedule` says
when a subscription is due, :mod:`.scheduler` runs the daily jobs, :mod:`.builder`
chooses and renders a digest into the outbox, and :mod:`.workers` builds them in
worker processes.
"""
