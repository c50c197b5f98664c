"""SIGTERM and SIGINT as an event, caught from the moment it is made."""

import asyncio
import signal


def stop_event() -> asyncio.Event:
    """Set by the first SIGTERM or SIGINT from now on; needs the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop
