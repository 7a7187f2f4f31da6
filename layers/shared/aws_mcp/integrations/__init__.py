"""The integration framework: external systems the server reports to and checks on.

``model`` (the seed's configuration), ``lifecycle`` (statuses and their moves), ``store``
(DynamoDB, revision-conditional writes), ``secrets`` (Secrets Manager), ``integration`` (the
plugin base class) and ``plugins`` (the types), ``registry`` (what everything else calls),
``health`` (the scheduled checks), ``delivery`` (the server's events out), ``api`` (the REST API,
FastAPI: imported only by its own function and by local serving, never by the MCP function).
"""
