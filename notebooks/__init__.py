"""The report notebooks; the aiopex wheel ships this folder as ``aiopex.notebooks``.

Open the ``.ipynb`` files in JupyterLab; ``aiopex run`` finds them with
``importlib.resources`` whether aiopex runs from this checkout or from a wheel.
"""
