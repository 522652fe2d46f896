"""Operations: Prometheus metrics, the /metrics and /healthz endpoint, status facts.

:mod:`newsbot.ops.metrics` sits on the ground floor (every stage may count into it);
:mod:`newsbot.ops.server` and :mod:`newsbot.ops.status` read the store.
"""
