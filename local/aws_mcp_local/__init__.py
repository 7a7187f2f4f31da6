"""Running the server off Lambda: uvicorn, stdio and the embedded demo AWS (not in the Lambda layer)."""
