"""Who may do what: roles per tool, confirmation of destructive changes, OAuth bearer tokens.

Nothing here knows the tools' code or AWS clients: the guards (``tools/guards.py``) and the
HTTP app (``http/app.py``) use these with collaborators the composition root injects.
"""
