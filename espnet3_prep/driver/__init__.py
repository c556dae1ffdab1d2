"""The driver: turns one run request into shards and gets them done.

:func:`~espnet3_prep.driver.plan.plan_run` plans and finds done shards for both
synchronous (:mod:`~espnet3_prep.driver.run`) and detached
(:mod:`~espnet3_prep.driver.submit`, :mod:`~espnet3_prep.driver.status`) runs, from one
typed :class:`~espnet3_prep.driver.options.RunOptions`. Imports only the layers below:
backends, execution, storage, errors.
"""
