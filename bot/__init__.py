"""digestbot: loads markdown digests, renders them for Telegram and delivers them."""

__version__ = "0.1.0"
