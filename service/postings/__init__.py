"""Job postings: what a company hires for, with salary ranges and described sections."""
