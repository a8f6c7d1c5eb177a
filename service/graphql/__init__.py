"""The GraphQL layer shared by every domain: schema assembly, context, loaders, relay."""
