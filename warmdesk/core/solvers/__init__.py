"""Solver adapters, one module per problem kind."""
