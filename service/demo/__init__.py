"""Demo data: two companies with postings, pipelines and applicants, loaded by `hiregraph seed-demo`."""
