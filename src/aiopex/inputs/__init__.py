"""Readers and their rules: the scenario, ranges, usage history, actuals, mapping, portfolio."""
