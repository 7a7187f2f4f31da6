"""One module per AWS service (or server facility), each holding its ``TOOLS``; the catalogue finds them."""
