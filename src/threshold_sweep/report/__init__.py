"""The run reports: Markdown and HTML documents, plots, templates."""
