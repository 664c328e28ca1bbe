"""Templates of the pages (data, not code): nbconvert's report page and the index page."""
