"""The rate limiter's arithmetic, on a fake clock (no real waiting), and its use by the client."""

from __future__ import annotations

import asyncio

import pytest

from extractor.config import ConfigError, Settings
from extractor.llm.client import LLMClient
from extractor.llm.ratelimit import BURST_SECONDS, Bucket, RateLimiter, estimate_tokens
from extractor.testing.fault_server import inject_ok, make_fault_server


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(rpm: int | None = None, tpm: int | None = None) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(rpm, tpm, clock=clock, sleep=clock.sleep), clock


def test_bucket_starts_full_with_a_short_burst_and_refills_at_the_rate() -> None:
    bucket = Bucket.per_minute(60, now=0.0)
    assert (bucket.rate, bucket.capacity, bucket.level) == (1.0, BURST_SECONDS, BURST_SECONDS)
    bucket.take(10)
    assert bucket.delay(1, now=0.0) == 1.0
    assert bucket.delay(1, now=0.5) == pytest.approx(0.5)
    bucket.refill(now=100.0)
    assert bucket.level == bucket.capacity  # never above capacity


def test_bucket_rejects_a_non_positive_limit() -> None:
    with pytest.raises(ValueError):
        Bucket.per_minute(0, now=0.0)


def test_requests_per_minute_allow_a_burst_then_one_per_interval() -> None:
    rate, clock = limiter(rpm=60)

    async def twelve() -> None:
        for _ in range(12):
            await rate.acquire(0)

    asyncio.run(twelve())
    # 10 at once (the burst), then one a second
    assert clock.sleeps == pytest.approx([1.0, 1.0])
    assert clock.now == pytest.approx(2.0)


def test_tokens_per_minute_wait_for_room_and_usage_corrects_the_estimate() -> None:
    rate, clock = limiter(tpm=6000)  # 100 tokens a second, 1,000 of burst

    async def scenario() -> None:
        reserved = await rate.acquire(900)
        assert clock.now == 0
        rate.settle(reserved, used=300)  # the server used less: 600 given back
        await rate.acquire(700)  # 100 + 600 back = 700 available: no wait
        assert clock.now == 0
        await rate.acquire(500)  # empty: wait 5 s for 500
        assert clock.now == pytest.approx(5.0)

    asyncio.run(scenario())


def test_usage_above_the_estimate_is_charged_and_delays_the_next_request() -> None:
    rate, clock = limiter(tpm=6000)

    async def scenario() -> None:
        reserved = await rate.acquire(100)
        rate.settle(reserved, used=1100)  # 1,000 more than reserved: level 900 - 1000 = -100
        await rate.acquire(100)  # needs 200 tokens of refill: 2 s
        assert clock.now == pytest.approx(2.0)

    asyncio.run(scenario())


def test_a_failed_request_gives_its_tokens_back() -> None:
    rate, _ = limiter(tpm=6000)

    async def scenario() -> float:
        reserved = await rate.acquire(800)
        rate.settle(reserved, used=None)
        assert rate.tokens is not None
        return rate.tokens.level

    assert asyncio.run(scenario()) == pytest.approx(1000)


def test_a_request_larger_than_the_bucket_waits_for_a_full_bucket_then_goes() -> None:
    rate, clock = limiter(tpm=600)  # 10 tokens a second, 100 of burst

    async def scenario() -> None:
        await rate.acquire(50)
        await rate.acquire(5000)  # over capacity: waits until full (5 s), then goes negative
        assert clock.now == pytest.approx(5.0)
        await rate.acquire(10)  # -4,900 + refill: 491 s
        assert clock.now == pytest.approx(5.0 + 491.0)

    asyncio.run(scenario())


def test_both_limits_apply_and_the_longer_wait_wins() -> None:
    rate, clock = limiter(rpm=6, tpm=60_000)  # 1 request of burst, then one per 10 s
    assert rate.delay(10) == 0

    async def two() -> None:
        await rate.acquire(10)
        await rate.acquire(10)

    asyncio.run(two())
    assert clock.now == pytest.approx(10.0)


def test_no_limits_means_no_waiting() -> None:
    rate, clock = limiter()
    assert not rate.enabled
    asyncio.run(rate.acquire(10**9))
    assert clock.sleeps == []


def test_estimate_tokens_counts_message_characters_and_the_completion_cap() -> None:
    messages = [{"role": "system", "content": "x" * 40}, {"role": "user", "content": "y" * 41}]
    assert estimate_tokens(messages, 100) == 21 + 100
    assert estimate_tokens([], None) == 0


def test_settings_take_limits_from_options_and_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load().concurrency == 1  # the embedded model: one slot
    remote = Settings.load(base_url="http://127.0.0.1:1/v1", model="m")
    assert remote.concurrency == 8 and remote.requests_per_minute is None
    monkeypatch.setenv("EXTRACTOR_REQUESTS_PER_MINUTE", "500")
    monkeypatch.setenv("EXTRACTOR_CONCURRENCY", "3")
    loaded = Settings.load(base_url="http://127.0.0.1:1/v1", model="m", tokens_per_minute=9000)
    assert (loaded.concurrency, loaded.requests_per_minute, loaded.tokens_per_minute) == (
        3, 500, 9000)
    monkeypatch.setenv("EXTRACTOR_TOKENS_PER_MINUTE", "lots")
    with pytest.raises(ConfigError, match="whole number"):
        Settings.load()
    with pytest.raises(ConfigError, match="positive"):
        Settings.load(concurrency=0)


def test_the_client_waits_for_the_limiter_before_each_attempt() -> None:
    clock = FakeClock()
    rate = RateLimiter(requests_per_minute=6, clock=clock, sleep=clock.sleep)  # burst of 1
    with make_fault_server([inject_ok('{"n": 1}', prompt_tokens=5, completion_tokens=2)
                            for _ in range(2)]) as server:
        settings = Settings(base_url=server.base_url, model="m", embedded=False)
        client = LLMClient(settings, server.base_url, lambda record: None, limiter=rate)

        from pydantic import BaseModel

        class N(BaseModel):
            n: int

        async def two() -> None:
            for stage in ("a", "b"):
                await client.complete(N, [{"role": "user", "content": "n?"}], article_id="x",
                                      stage=stage)
            await client.aclose()

        asyncio.run(two())
    assert clock.sleeps == pytest.approx([10.0])  # the second call waited for its turn
    assert len(server.requests) == 2
