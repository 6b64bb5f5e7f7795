"""Errors a service raises; the web layer turns them into 404 and 403 pages."""


class NotFoundError(LookupError):
    pass


class AccessDenied(PermissionError):
    pass
