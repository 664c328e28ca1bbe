"""Budget reports for many scenarios at once (``aiopex run``).

Modules, in the order a batch uses them: ``layout`` (what goes where, and where
the notebooks are), ``validate`` (every problem before anything runs), ``lock``
(one batch per output folder), ``kernels`` (a Jupyter kernel per notebook),
``export`` (self-contained HTML), ``index`` (the index page), ``status`` (what
happened), and ``runner`` (:func:`~aiopex.batch.runner.run_batch`, tying them).
"""
