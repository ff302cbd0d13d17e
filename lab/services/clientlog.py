"""librdkafka's log through Python logging: every line into the lab's log file, a broker outage said once."""

from __future__ import annotations

import itertools
import logging
import re
import sys
from typing import TextIO

from lab import config

NAME = "lab.librdkafka"
DEFAULT_MESSAGE_TIMEOUT_MS = 300_000  # librdkafka's message.timeout.ms (delivery.timeout.ms) default
_ids = itertools.count(1)
_BROKER = re.compile(r"(?:ipv[46]#)?([\w.\-\[\]:]+:\d+)")


class BrokerOutage(logging.Handler):
    """Says once, in one line on stderr, that the broker is unreachable and how long the client keeps retrying."""

    def __init__(self, who: str, retry_s: float, stream: TextIO | None = None):
        super().__init__(logging.ERROR)
        self.who, self.retry_s, self.stream, self.said = who, retry_s, stream, False

    def emit(self, record: logging.LogRecord) -> None:
        fac = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        text = record.getMessage()
        if self.said or not (fac == "FAIL" or "brokers are down" in text):
            return
        self.said = True
        found = _BROKER.search(text.split("]: ", 1)[-1])
        where = f" at {found.group(1)}" if found else ""
        from tqdm import tqdm  # a line of its own, also under a running progress bar

        tqdm.write(
            f"{self.who}: broker unreachable{where}, retrying for up to {self.retry_s:.0f} s "
            f"(librdkafka's log: {config.log_file()})",
            file=self.stream or sys.stderr,
        )


def _file_logger() -> logging.Logger:
    """The parent logger of every client: one file handler on config.log_file(), nothing on the console."""
    parent = logging.getLogger(NAME)
    path = str(config.log_file())
    if not any(getattr(h, "baseFilename", None) == path for h in parent.handlers):
        for old in [h for h in parent.handlers if isinstance(h, logging.FileHandler)]:
            parent.removeHandler(old)  # LAB_HOME changed: the lines go to the new home's log
            old.close()
        config.log_file().parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    parent.propagate = False
    return parent


def client_logger(who: str, conf: dict, stream: TextIO | None = None, say_outage: bool = True) -> logging.Logger:
    """A `logger` for one librdkafka client's config: lines into the lab's log, an outage said once on `stream`.

    The wait it announces is the client's message timeout (message.timeout.ms / delivery.timeout.ms). The
    client hands its lines over when it is polled (poll, flush; an AdminClient too).
    """
    _file_logger()
    logger = logging.getLogger(f"{NAME}.{who.replace(' ', '-')}-{next(_ids)}")
    if say_outage:
        logger.addHandler(BrokerOutage(who, message_timeout_s(conf), stream))
    return logger


def message_timeout_s(conf: dict) -> float:
    """How long librdkafka retries a message before it reports it failed (message.timeout.ms), in seconds."""
    return int(conf.get("message.timeout.ms", conf.get("delivery.timeout.ms", DEFAULT_MESSAGE_TIMEOUT_MS))) / 1000
