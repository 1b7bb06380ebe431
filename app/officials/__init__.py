"""Officials: login, sessions (API bearer tokens and browser cookies), the visible agency set."""
