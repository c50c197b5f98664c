"""The one exception a configuration problem raises, wherever it is found."""


class ConfigError(Exception):
    """A configuration that cannot be served; the message is one readable line."""
