"""The e-mail address a checkout gives, checked by `email-validator` (syntax only, no DNS look-up)
after a length cap, so that no input costs more than a few microseconds to refuse."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # RFC 5321's limit on a forward path, less its angle brackets


def normalized(raw: str) -> str | None:
    """The address as it is kept (the domain lower-cased and IDNA-normalised, the local part as
    given), or None when it is not one."""
    text = raw.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    try:
        return validate_email(text, check_deliverability=False, allow_smtputf8=True).normalized
    except EmailNotValidError:
        return None
