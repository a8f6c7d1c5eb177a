"""Reading postings written as plain text, Markdown or HTML into draft postings."""
