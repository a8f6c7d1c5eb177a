"""The nested read operations the N+1 guards count and the differential tests compare."""

BOARD = """
query Board($id: ID!) {
  node(id: $id) {
    ... on Posting {
      title
      stages {
        name
        applications(first: 50) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { id status applicant { name emails } }
        }
      }
    }
  }
}
"""

PARTNER_PAGE = """
query Partner($after: String) {
  applications(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id status appliedAt updatedAt
      applicant { id name emails phones }
      posting { id title status }
      stage { id name kind }
      history(first: 10) { nodes { fromStageName toStageName actor createdAt } }
    }
  }
}
"""

DEEP = """
query Deep {
  companies(first: 2) {
    nodes {
      postings(first: 5) {
        totalCount
        nodes {
          company { slug }
          stages { applications(first: 5) { nodes { applicant { applications(first: 3) { nodes { posting { title } } } } } } }
        }
      }
    }
  }
}
"""
