"""Renderers of values: text, charts, HTML tables and the workbooks."""
