"""The Redis link's breaker: after a failure, no command is tried for `state.retry_seconds`."""

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from proxy.config import StateSettings
from proxy.metrics import ComponentStats
from proxy.state.link import RedisLink, StateUnavailable
from tests.fakes.clock import FakeClock


class Commands:
    """Redis commands that fail while `down` is set, and count how often they were tried."""

    def __init__(self) -> None:
        self.down = True
        self.tried = 0

    async def __call__(self, client: Redis) -> str:
        self.tried += 1
        if self.down:
            raise RedisConnectionError("refused")
        return "PONG"


async def _outcome(link: RedisLink, commands: Commands) -> str:
    try:
        return await link.run("pagination", commands)
    except StateUnavailable:
        return "unavailable"


async def test_after_a_failure_redis_is_left_alone_for_the_retry_period() -> None:
    clock, stats = FakeClock(), ComponentStats()
    settings = StateSettings(redis_url="redis://127.0.0.1:1/0", retry_seconds=2.0)
    link = RedisLink(Redis.from_url(settings.redis_url), settings, stats, clock)
    commands = Commands()

    assert await _outcome(link, commands) == "unavailable"
    commands.down = False
    clock.advance(1.999)
    assert await _outcome(link, commands) == "unavailable"
    assert commands.tried == 1
    assert stats.state_fallbacks["pagination"] == 2

    clock.advance(0.001)
    assert await _outcome(link, commands) == "PONG"
    assert commands.tried == 2
    assert (link.available, link.last_error) == (True, None)
    await link.close()
