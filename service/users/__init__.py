"""The company's people: recruiters, coordinators, hiring managers, interviewers."""
