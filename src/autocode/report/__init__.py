"""Reports for people: Markdown tables, HTML pages and plots."""
