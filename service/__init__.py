"""Hiregraph: a GraphQL backend for recruiting data and ATS integrations."""

__version__ = "0.1.0"
