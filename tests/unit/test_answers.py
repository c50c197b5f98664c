"""Whole answers written by the public listener follow the rules aiohttp's `prepare` follows."""

import pytest
from aiohttp import web
from aiohttp.http import HttpVersion, HttpVersion10, HttpVersion11
from aiohttp.http_parser import RawRequestMessage
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from proxy.server.http1.answers import written_whole


def _message(
    method: str = "GET", version: HttpVersion = HttpVersion11, close: bool = False
) -> RawRequestMessage:
    headers = CIMultiDictProxy(CIMultiDict[str]())
    return RawRequestMessage(
        method,
        "/v1/x",
        version,
        headers,
        (),
        close,
        None,
        False,
        False,
        URL("/v1/x"),
    )


def _parts(answer: bytes | None) -> tuple[str, dict[str, str], bytes]:
    assert answer is not None
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *fields = head.decode().split("\r\n")
    return status, dict(field.split(": ", 1) for field in fields), body


def test_a_json_answer_carries_its_length_a_date_and_its_body() -> None:
    status, headers, body = _parts(
        written_whole(
            _message(), web.Response(status=201, body=b'{"a":1}', content_type="application/json")
        )
    )

    assert status == "HTTP/1.1 201 Created"
    assert headers["Content-Length"] == "7"
    assert headers["Content-Type"] == "application/json"
    assert "Date" in headers
    assert "Connection" not in headers
    assert body == b'{"a":1}'


def test_204_and_304_carry_no_length_and_no_body() -> None:
    for status in (204, 304):
        response = web.Response(status=status, body=b"", headers={"Content-Length": "0"})
        _, headers, body = _parts(written_whole(_message(), response))
        assert "Content-Length" not in headers
        assert body == b""


def test_head_names_the_length_but_sends_no_body() -> None:
    _, headers, body = _parts(written_whole(_message("HEAD"), web.Response(body=b"12345")))

    assert headers["Content-Length"] == "5"
    assert body == b""


def test_connection_is_named_when_http_1_1_closes_or_http_1_0_stays_open() -> None:
    _, closing, _ = _parts(written_whole(_message(close=True), web.Response(body=b"x")))
    _, kept, _ = _parts(written_whole(_message(version=HttpVersion10), web.Response(body=b"x")))

    assert closing["Connection"] == "close"
    assert kept["Connection"] == "keep-alive"


def test_a_forced_close_is_said_in_the_head() -> None:
    response = web.Response(body=b"x")
    response.force_close()

    _, headers, _ = _parts(written_whole(_message(), response))

    assert headers["Connection"] == "close"


def test_streamed_compressed_and_chunked_answers_are_left_to_aiohttp() -> None:
    compressed = web.Response(body=b"x")
    compressed.enable_compression()
    chunked = web.Response(body=b"x")
    chunked.enable_chunked_encoding()

    assert written_whole(_message(), web.StreamResponse()) is None
    assert written_whole(_message(), compressed) is None
    assert written_whole(_message(), chunked) is None


def test_a_value_that_would_end_its_field_is_refused() -> None:
    response = web.Response(body=b"x")
    response.headers["X-Evil"] = "a\r\nSet-Cookie: b"

    with pytest.raises(ValueError, match="Newline or carriage return"):
        written_whole(_message(), response)
