"""Email: a period's shared content, each subscriber's digest, the MIME message, and the only SMTP code."""
