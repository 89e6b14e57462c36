"""The kinds of data-subject request and how one ends: plain names, importable without the register's
libraries (the command line builds its parser from them before anything heavy is loaded)."""

#: The rights a request invokes (GDPR Arts. 15-21).
REQUEST_TYPES = ("access", "portability", "rectification", "erasure", "restriction", "objection")
#: How a closed request ended.
OUTCOMES = ("completed", "refused", "withdrawn")


class RequestError(ValueError):
    """A request that does not exist, or a step it cannot take; the message is one line without personal data."""
