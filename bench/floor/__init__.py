"""The floor: the least an MCP endpoint can do, to measure ours against.

``app.py`` is a Lambda handler that imports only boto3 and json (built and run like
McpFunction); ``server.py`` serves the same answers under uvicorn, like ``aws-mcp serve``.
"""
