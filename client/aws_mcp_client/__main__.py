"""``python -m aws_mcp_client``: the client's commands, for an install without the server."""

from aws_mcp_client.cli import main

main()
