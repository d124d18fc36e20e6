"""The sweep summary: grouping, paired statistics, insights, pages and plots."""
