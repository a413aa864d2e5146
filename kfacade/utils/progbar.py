"""``Progbar``: Keras's text progress bar.

The bar is drawn on ``sys.stdout`` (looked up at each write, so redirection
and pytest's capture see it), or logged when interactive logging is off
(``kfacade.utils.io_utils``). On a terminal it is redrawn in place with
"\\r" at most once per ``interval`` seconds plus the final update; when
stdout is not a terminal (a pipe, a log file, CI) rewriting a line is not
possible, so verbose=1 writes only the final line instead of one line per
redraw.
"""
import os
import sys
import time

import numpy as np

from kfacade.utils import io_utils

#: The clock every Progbar reads; tests replace it with a fake one.
_clock = time.monotonic


def _stdout_is_dynamic():
    """Whether stdout can redraw a line in place (a terminal or a notebook)
    and messages go there (interactive logging on)."""
    if not io_utils.is_interactive_logging_enabled():
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        tty = bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _write(message):
    io_utils.print_msg(message, line_break=False)


def format_time(seconds_per_unit, unit_name):
    """A duration per unit as Keras writes it: " 2s/epoch", " 33ms/step", " 8us/step"."""
    if seconds_per_unit >= 1 or seconds_per_unit == 0:
        return f" {seconds_per_unit:.0f}s/{unit_name}"
    if seconds_per_unit >= 1e-3:
        return f" {seconds_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {seconds_per_unit * 1e6:.0f}us/{unit_name}"


def format_value(value):
    """A metric value as Keras shows it: 4 decimals, or scientific when tiny."""
    try:
        number = float(np.mean(value))
    except (TypeError, ValueError):
        return f" {value}"
    return f" {number:.4f}" if abs(number) > 1e-3 else f" {number:.4e}"


def _format_eta(eta):
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, or None if unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a progress bar) or 2 (one line at the end).
        interval: the minimum number of seconds between two redraws.
        stateful_metrics: names of metrics shown as given; the others are
            averaged over the steps seen (weighted by the steps each covers).
        unit_name: what a step is called in the time per step ("step", "sample").

    Example:
        >>> bar = Progbar(target=3)
        >>> for step in range(1, 4):
        ...     bar.update(step, values=[("loss", 0.5 / step)])
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _stdout_is_dynamic()
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, count]
        self._values_order = []
        self._start = _clock()
        self._last_update = float("-inf")  # the first update always draws
        self._time_after_first_step = None

    # ------------------------------------------------------------ updates
    def update(self, current, values=None, finalize=None):
        """Records step `current` and redraws when it is time to.

        Args:
            current: the index of the current step (1-based count of steps done).
            values: a list of ``(name, value)`` pairs for the last step.
            finalize: whether this is the last update; defaults to
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            self._record(name, value, current, finalize)
        self._seen_so_far = current
        now = _clock()
        time_per_unit = self._estimate_step_duration(current, now)
        if self._should_draw(now, finalize):
            self._draw(current, now, time_per_unit, finalize)
            self._last_update = now

    def add(self, n, values=None):
        """Advances by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def will_draw(self, finalize=False):
        """Whether ``update(..., finalize=finalize)`` would redraw now.

        Callers holding values that are costly to compute (device tensors)
        ask first and call ``update`` with values only when it would draw,
        ``skip`` otherwise.
        """
        return self._should_draw(_clock(), finalize)

    def skip(self, current):
        """Records that step `current` is done without values or a redraw."""
        self._seen_so_far = current
        self._estimate_step_duration(current, _clock())

    # ------------------------------------------------------------ internals
    def _record(self, name, value, current, finalize):
        if name not in self._values:
            self._values_order.append(name)
        if name in self.stateful_metrics or finalize:
            # Shown as given; at the end the caller's value is the final one.
            self._values[name] = [value, 1]
            return
        steps = max(current - self._seen_so_far, 1)
        if name not in self._values:
            self._values[name] = [value * steps, steps]
        else:
            self._values[name][0] += value * steps
            self._values[name][1] += steps

    def _should_draw(self, now, finalize):
        if self.verbose == 1:
            if finalize:
                return True
            return self._dynamic_display and now - self._last_update >= self.interval
        if self.verbose == 2:
            return finalize
        return False

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first step (compilation) once possible."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            duration = (now - self._time_after_first_step) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return duration

    def _metrics_text(self):
        text = ""
        for name in self._values_order:
            total, count = self._values[name]
            text += f" - {name}:"
            try:
                text += format_value(total / max(1, count))
            except TypeError:
                text += f" {total}"
        return text

    def _draw(self, current, now, time_per_unit, finalize):
        known_target = self.target is not None and self.target > 0
        if self.verbose == 2:
            if not known_target:
                count = f"{current}"
                per_step = time_per_unit
            else:
                count = f"{current:{len(str(self.target))}d}/{self.target}"
                per_step = (now - self._start) / self.target
            elapsed = now - self._start
            line = f"{count} - {elapsed:.0f}s" + self._metrics_text()
            line += " -" + format_time(elapsed, "epoch")
            line += " -" + format_time(per_step, self.unit_name)
            _write(line + "\n")
            return
        if known_target:
            bar = f"{current:{len(str(self.target))}d}/{self.target} ["
            done = min(int(self.width * current / self.target), self.width)
            if done > 0:
                bar += "=" * (done - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - done) + "]"
        else:
            bar = f"{current:7d}/Unknown"
        if known_target and not finalize:
            info = " - ETA: " + _format_eta(time_per_unit * (self.target - current))
        else:
            info = f" - {now - self._start:.0f}s" + format_time(time_per_unit, self.unit_name)
        line = bar + info + self._metrics_text()
        if self._dynamic_display:
            padding = " " * max(0, self._total_width - len(line))
            message = "\r" + line + padding
        else:
            message = line
        self._total_width = len(line)
        _write(message + ("\n" if finalize or not self._dynamic_display else ""))
