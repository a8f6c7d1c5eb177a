"""Partner upserts: records a partner system syncs over GraphQL, keyed by (provider, externalId)."""
