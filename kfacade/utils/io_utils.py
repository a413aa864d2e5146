"""Where kfacade's messages go: stdout (interactive logging, the default) or Python logging.

Keras 3 sends its messages (progress bars, "Found N files ...") to stdout
while interactive logging is on and to `absl.logging` when it is off.
kfacade uses the standard library's `logging` instead (logger ``"kfacade"``,
level INFO), so it needs no extra package; a server job that turns
interactive logging off sees the same lines through its logging handlers.
The switch is per process.

Example:
    >>> import kfacade
    >>> kfacade.config.disable_interactive_logging()
    >>> kfacade.config.is_interactive_logging_enabled()
    False
    >>> kfacade.config.enable_interactive_logging()
"""
import logging
import sys

_interactive = [True]

#: The logger that receives the messages while interactive logging is off.
logger = logging.getLogger("kfacade")


def enable_interactive_logging():
    """Sends kfacade's messages (progress bars included) to stdout, redrawn in place on a terminal."""
    _interactive[0] = True


def disable_interactive_logging():
    """Sends kfacade's messages to the ``"kfacade"`` logger (INFO) instead of stdout."""
    _interactive[0] = False


def is_interactive_logging_enabled():
    """Whether kfacade's messages go to stdout (True, the default) or to logging."""
    return _interactive[0]


def print_msg(message, line_break=True):
    """Writes `message` to stdout, or logs it when interactive logging is off.

    Args:
        message: the text (converted with ``str``).
        line_break: end it with a newline on stdout.
    """
    message = str(message)
    if _interactive[0]:
        stream = sys.stdout  # looked up at each call: redirection and capture see it
        text = message + "\n" if line_break else message
        try:
            stream.write(text)
        except UnicodeEncodeError:
            encoding = getattr(stream, "encoding", None) or "utf-8"
            stream.write(text.replace("━", "=").encode(encoding, "ignore").decode(encoding))
        stream.flush()
    else:
        text = message.replace("\r", "").strip("\n")
        if text:
            logger.info(text)
