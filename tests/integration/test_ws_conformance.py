"""RFC 6455 conformance of hype-signal, case by case, over raw TCP against its test-only echo
endpoint (WS_ECHO=1). The sections follow Autobahn|Testsuite's: 1 framing, 2 ping/pong,
3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 limits, 10 misc."""

import os
import socket
import time

import pytest

from hype import SignalDaemon, parse_raw_response, raw_http
from wsraw import RawWebSocket, build_frame, close_payload

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
MAX_MESSAGE = 1 << 20


@pytest.fixture(scope="module")
def echo():
    d = SignalDaemon(WS_ECHO=1, WS_MAX_MESSAGE=MAX_MESSAGE, WS_OUTPUT_LIMIT="256K", WS_HANDSHAKE_TIMEOUT="700ms")
    d.wait_ready()
    yield d
    d.check_clean_exit()


def connect(echo, **kw):
    ws = RawWebSocket(echo.port, **kw)
    assert ws.status == 101, ws.response_head
    return ws


def roundtrip(ws, opcode, payload, **kw):
    ws.send(opcode, payload, **kw)
    f = ws.recv_frame()
    assert (f.opcode, f.fin, f.rsv) == (opcode, True, 0)
    assert f.payload == payload
    return f


def closes_with(ws, code):
    ws.expect_close(code)
    ws.close()


# ---- handshake ----

def test_handshake_accept_key(echo):
    ws = RawWebSocket(echo.port)
    assert ws.status == 101
    assert "upgrade: websocket" in ws.response_head.lower()
    ws.close()


@pytest.mark.parametrize("request_text,status", [
    ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426),
    ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
     "Sec-WebSocket-Version: 13\r\n\r\n", 400),
    ("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
    ("POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 405),
    ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
     "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
])
def test_handshake_refusals(echo, request_text, status):
    got, headers, body = parse_raw_response(raw_http(echo.port, request_text.encode(), timeout=2))
    assert got == status, body
    assert b'"success":false' in body
    if status == 426:
        assert headers.get("sec-websocket-version") == "13"


def test_handshake_timeout(echo):
    """A client that never finishes its upgrade request is cut off (WS_HANDSHAKE_TIMEOUT)."""
    with socket.create_connection(("127.0.0.1", echo.port), timeout=5) as s:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        assert time.monotonic() - start < 3
        assert data.startswith(b"HTTP/1.1 408")


def test_origin_allow_list():
    d = SignalDaemon(WS_ECHO=1, WS_ALLOWED_ORIGINS="https://app.example.com")
    try:
        d.wait_ready()
        assert RawWebSocket(d.port, headers={"Origin": "https://evil.example.net"}).status == 403
        assert RawWebSocket(d.port, headers={"Origin": "https://app.example.com"}).status == 101
        assert RawWebSocket(d.port).status == 101  # non-browser clients send no Origin
    finally:
        d.check_clean_exit()


def test_unknown_path_is_404(echo):
    status, _, body = parse_raw_response(raw_http(echo.port, b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=2))
    assert status == 404 and b"Not found" in body


# ---- 1. framing ----

@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 128, 65535, 65536, 65537, 300000])
@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_1_echo_sizes(echo, opcode, size):
    ws = connect(echo)
    payload = (b"*" * size) if opcode == TEXT else os.urandom(size)
    roundtrip(ws, opcode, payload)
    ws.close()


@pytest.mark.parametrize("chunk", [1, 3, 997])
def test_1_frames_arriving_in_pieces(echo, chunk):
    ws = connect(echo)
    payload = b"Hello, conformance " * 20
    ws.send_raw(build_frame(TEXT, payload), chunk=chunk)
    f = ws.recv_frame()
    assert f.payload == payload
    ws.close()


def test_1_many_frames_in_one_write(echo):
    ws = connect(echo)
    ws.send_raw(b"".join(build_frame(TEXT, f"m{i}".encode()) for i in range(200)))
    for i in range(200):
        assert ws.recv_frame().payload == f"m{i}".encode()
    ws.close()


def test_1_replies_to_one_read_leave_in_one_write(echo):
    """Frames produced while handling one read go out together: 50 echoes cost one socket write
    (hype_signal_ws_writes_total), not 50, and arrive complete and in order."""
    ws = connect(echo)
    roundtrip(ws, TEXT, b"warm")  # the 101 and this echo are behind us
    writes, sent = echo.metric("hype_signal_ws_writes_total"), echo.metric("hype_signal_ws_messages_sent_total")
    assert writes > 0  # the 101 and the echo were written
    ws.send_raw(b"".join(build_frame(TEXT, f"burst {i}".encode()) for i in range(50)))
    for i in range(50):
        assert ws.recv_frame().payload == f"burst {i}".encode()
    assert echo.metric("hype_signal_ws_messages_sent_total") - sent == 50
    assert echo.metric("hype_signal_ws_writes_total") - writes <= 2  # one, or two if TCP split it
    ws.close()


# ---- 2. ping / pong ----

@pytest.mark.parametrize("payload", [b"", b"hello", os.urandom(125), bytes(range(125))])
def test_2_ping_gets_pong_with_payload(echo, payload):
    ws = connect(echo)
    ws.send(PING, payload)
    f = ws.recv_frame()
    assert f.opcode == PONG and f.payload == payload
    ws.close()


def test_2_ping_over_125_bytes_fails(echo):
    ws = connect(echo)
    ws.send(PING, b"x" * 126)
    closes_with(ws, 1002)


def test_2_unsolicited_pong_is_ignored(echo):
    ws = connect(echo)
    ws.send(PONG, b"unsolicited")
    roundtrip(ws, TEXT, b"still here")
    ws.close()


def test_2_ten_pings_ten_pongs(echo):
    ws = connect(echo)
    for i in range(10):
        ws.send(PING, f"p{i}".encode())
    for i in range(10):
        f = ws.recv_frame()
        assert f.opcode == PONG and f.payload == f"p{i}".encode()
    ws.close()


def test_2_ping_byte_by_byte(echo):
    ws = connect(echo)
    ws.send_raw(build_frame(PING, b"slowping"), chunk=1)
    f = ws.recv_frame()
    assert f.opcode == PONG and f.payload == b"slowping"
    ws.close()


# ---- 3. reserved bits ----

@pytest.mark.parametrize("rsv", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("opcode", [TEXT, BINARY, PING, CLOSE])
def test_3_reserved_bits_fail(echo, rsv, opcode):
    ws = connect(echo)
    ws.send(TEXT, b"before")  # handled first, then the bad frame fails the connection
    ws.send(opcode, close_payload(1000) if opcode == CLOSE else b"x", rsv=rsv)
    f = ws.recv_frame()
    assert f.opcode == TEXT and f.payload == b"before"
    closes_with(ws, 1002)


# ---- 4. opcodes ----

@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_4_reserved_opcodes_fail(echo, opcode):
    ws = connect(echo)
    ws.send(TEXT, b"before")
    ws.send(opcode, b"payload")
    assert ws.recv_frame().payload == b"before"
    closes_with(ws, 1002)


def test_4_unmasked_client_frame_fails(echo):
    ws = connect(echo)
    ws.send(TEXT, b"naked", mask=False)
    closes_with(ws, 1002)


def test_4_length_with_top_bit_fails(echo):
    ws = connect(echo)
    ws.send_raw(bytes([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]) + os.urandom(4))
    closes_with(ws, 1002)


# ---- 5. fragmentation ----

def test_5_fragmented_ping_fails(echo):
    ws = connect(echo)
    ws.send(PING, b"frag", fin=False)
    closes_with(ws, 1002)


def test_5_fragmented_pong_fails(echo):
    ws = connect(echo)
    ws.send(PONG, b"frag", fin=False)
    closes_with(ws, 1002)


@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_5_two_fragments_echo_as_one(echo, opcode):
    ws = connect(echo)
    ws.send(opcode, b"frag1", fin=False)
    ws.send(CONT, b"frag2")
    f = ws.recv_frame()
    assert f.opcode == opcode and f.payload == b"frag1frag2"
    ws.close()


def test_5_ping_between_fragments(echo):
    ws = connect(echo)
    ws.send(TEXT, b"fragment1", fin=False)
    ws.send(PING, b"between")
    ws.send(CONT, b"fragment2")
    f = ws.recv_frame()
    assert f.opcode == PONG and f.payload == b"between"
    f = ws.recv_frame()
    assert f.opcode == TEXT and f.payload == b"fragment1fragment2"
    ws.close()


def test_5_many_fragments_with_pings(echo):
    ws = connect(echo)
    parts = [f"part{i};".encode() for i in range(50)]
    for i, p in enumerate(parts):
        ws.send(TEXT if i == 0 else CONT, p, fin=(i == len(parts) - 1))
        if i % 10 == 0:
            ws.send(PING, str(i).encode())
    pongs = []
    while True:
        f = ws.recv_frame()
        if f.opcode == PONG:
            pongs.append(f.payload)
            continue
        assert f.opcode == TEXT and f.payload == b"".join(parts)
        break
    assert pongs == [str(i).encode() for i in range(0, 50, 10)]
    ws.close()


def test_5_empty_fragments(echo):
    ws = connect(echo)
    ws.send(TEXT, b"", fin=False)
    ws.send(CONT, b"", fin=False)
    ws.send(CONT, b"")
    f = ws.recv_frame()
    assert f.opcode == TEXT and f.payload == b""
    ws.close()


@pytest.mark.parametrize("fin", [True, False])
def test_5_continuation_without_message_fails(echo, fin):
    ws = connect(echo)
    ws.send(CONT, b"orphan", fin=fin)
    closes_with(ws, 1002)


def test_5_new_message_inside_fragmented_one_fails(echo):
    ws = connect(echo)
    ws.send(TEXT, b"first", fin=False)
    ws.send(TEXT, b"second")
    closes_with(ws, 1002)


# ---- 6. UTF-8 ----

VALID_UTF8 = ["κόσμε".encode(), "\U0001F600 emoji".encode(), b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf",
              "Hello-µ@ßöäüàá-UTF-8!!".encode()]
INVALID_UTF8 = [b"\x80", b"\xc0\x80", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xfe",
                b"\xff", b"ok\xce", "κόσμε".encode() + b"\xed\xa0\x80edited"]


@pytest.mark.parametrize("payload", VALID_UTF8)
def test_6_valid_utf8_echoes(echo, payload):
    ws = connect(echo)
    roundtrip(ws, TEXT, payload)
    ws.close()


@pytest.mark.parametrize("payload", VALID_UTF8)
def test_6_valid_utf8_split_inside_code_points(echo, payload):
    ws = connect(echo)
    pieces = [payload[i:i + 1] for i in range(len(payload))]
    for i, p in enumerate(pieces):
        ws.send(TEXT if i == 0 else CONT, p, fin=(i == len(pieces) - 1))
    assert ws.recv_frame().payload == payload
    ws.close()


@pytest.mark.parametrize("payload", INVALID_UTF8)
def test_6_invalid_utf8_fails_with_1007(echo, payload):
    ws = connect(echo)
    ws.send(TEXT, payload)
    closes_with(ws, 1007)


def test_6_invalid_utf8_in_a_fragment_fails_fast(echo):
    ws = connect(echo)
    ws.send(TEXT, b"valid start ", fin=False)
    ws.send(CONT, b"\xed\xa0\x80", fin=False)  # a surrogate: invalid before the message ends
    closes_with(ws, 1007)


def test_6_truncated_code_point_at_message_end_fails(echo):
    ws = connect(echo)
    ws.send(TEXT, b"\xe2\x82", fin=False)
    ws.send(CONT, b"")
    closes_with(ws, 1007)


def test_6_binary_is_not_utf8_checked(echo):
    ws = connect(echo)
    roundtrip(ws, BINARY, b"\xff\xfe\xed\xa0\x80")
    ws.close()


# ---- 7. close handling ----

def test_7_close_echoes_code_and_closes_tcp(echo):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(1000, b"bye"))
    f = ws.recv_frame()
    assert f.opcode == CLOSE and f.close_code == 1000
    assert ws.wait_tcp_closed()
    ws.close()


def test_7_messages_after_close_are_ignored(echo):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(1000))
    ws.send(TEXT, b"too late")
    f = ws.recv_frame()
    assert f.opcode == CLOSE
    assert ws.wait_tcp_closed()
    ws.close()


def test_7_empty_close(echo):
    ws = connect(echo)
    ws.send(CLOSE, b"")
    f = ws.recv_frame()
    assert f.opcode == CLOSE and f.payload == b""
    assert ws.wait_tcp_closed()
    ws.close()


def test_7_one_byte_close_payload_fails(echo):
    ws = connect(echo)
    ws.send(CLOSE, b"\x03")
    closes_with(ws, 1002)


def test_7_close_reason_123_bytes_ok(echo):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(1000, b"r" * 123))
    f = ws.recv_frame()
    assert f.opcode == CLOSE and f.close_code == 1000
    ws.close()


def test_7_close_payload_over_125_fails(echo):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(1000, b"r" * 124))
    closes_with(ws, 1002)


def test_7_close_reason_invalid_utf8_fails(echo):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))
    closes_with(ws, 1007)


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999])
def test_7_valid_close_codes_are_echoed(echo, code):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(code))
    f = ws.recv_frame()
    assert f.opcode == CLOSE and f.close_code == code
    assert ws.wait_tcp_closed()
    ws.close()


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000,
                                  65535])
def test_7_invalid_close_codes_fail(echo, code):
    ws = connect(echo)
    ws.send(CLOSE, close_payload(code))
    closes_with(ws, 1002)


def test_7_peer_vanishing_is_handled(echo):
    before = echo.health()["connections"]
    for _ in range(20):
        ws = connect(echo)
        ws.send_raw(build_frame(TEXT, b"half")[:5])  # half a frame, then gone
        ws.close()
    deadline = time.monotonic() + 5
    while echo.health()["connections"] > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert echo.health()["connections"] <= before


# ---- 9. limits ----

@pytest.mark.parametrize("size", [64 * 1024, 256 * 1024, MAX_MESSAGE])
def test_9_large_messages_up_to_the_limit(echo, size):
    ws = connect(echo)
    payload = os.urandom(size)
    roundtrip(ws, BINARY, payload)
    ws.close()


def test_9_message_over_the_limit_fails_with_1009(echo):
    ws = connect(echo)
    # The header alone announces too much: refused before the payload is buffered.
    ws.send_raw(build_frame(BINARY, b"", length=MAX_MESSAGE + 1)[:14])
    closes_with(ws, 1009)


def test_9_fragments_over_the_limit_fail_with_1009(echo):
    ws = connect(echo)
    chunk = b"a" * 65536
    for i in range(MAX_MESSAGE // len(chunk)):
        ws.send(TEXT if i == 0 else CONT, chunk, fin=False)
    ws.send(CONT, b"one byte too many")
    closes_with(ws, 1009)


@pytest.mark.parametrize("fragment", [64, 4096])
def test_9_message_in_small_fragments(echo, fragment):
    ws = connect(echo)
    payload = os.urandom(256 * 1024)
    frames = b"".join(build_frame(BINARY if i == 0 else CONT, payload[i:i + fragment],
                                  fin=(i + fragment >= len(payload)))
                      for i in range(0, len(payload), fragment))
    ws.send_raw(frames)
    assert ws.recv_frame(timeout=20).payload == payload
    ws.close()


def test_9_thousand_messages_round_trip(echo):
    ws = connect(echo)
    for i in range(1000):
        ws.send(TEXT, f"message {i}".encode())
    for i in range(1000):
        assert ws.recv_frame().payload == f"message {i}".encode()
    ws.close()


def test_9_client_that_never_reads_is_closed_and_memory_stays_bounded(echo):
    """Echoes pile up for a client that does not read: past WS_OUTPUT_LIMIT the server closes
    it with 1008 instead of buffering; its memory does not grow with what we send."""
    base = echo.health()["connections"]
    slow_before = echo.metric("hype_signal_ws_closed_total", code=1008)
    rss_before = echo.rss_kib()
    ws = connect(echo)
    frame = build_frame(BINARY, os.urandom(60000))
    sent = 0
    try:
        while sent < 256 * 1024 * 1024:
            ws.sock.sendall(frame)
            sent += len(frame)
    except OSError:
        pass  # reset once the server gave up on us
    # The server dropped us although we never read a byte, and kept little of it in memory.
    deadline = time.monotonic() + 10
    while echo.health()["connections"] > base and time.monotonic() < deadline:
        time.sleep(0.05)
    assert echo.health()["connections"] == base, "the server kept a client that never reads"
    assert echo.rss_kib() - rss_before < 64 * 1024
    # Its close frame could not reach a client that does not read; the server counted why.
    assert echo.metric("hype_signal_ws_closed_total", code=1008) == slow_before + 1
    ws.close()


# ---- 10. misc ----

def test_10_auto_fragmented_64k_text(echo):
    ws = connect(echo)
    payload = ("x" * 65536).encode()
    frames = b"".join(build_frame(TEXT if i == 0 else CONT, payload[i:i + 1300], fin=(i + 1300 >= len(payload)))
                      for i in range(0, len(payload), 1300))
    ws.send_raw(frames)
    assert ws.recv_frame().payload == payload
    ws.close()


# ---- heartbeat and shutdown (their own daemons: short intervals) ----

def test_heartbeat_pings_and_closes_silent_peers():
    d = SignalDaemon(WS_ECHO=1, WS_PING_INTERVAL="200ms", WS_PING_TIMEOUT="300ms")
    try:
        d.wait_ready()
        silent = connect(d)
        lively = connect(d)
        start = time.monotonic()
        f = lively.recv_frame(timeout=2)
        assert f.opcode == PING
        # The lively client answers every ping for a while and stays connected.
        while time.monotonic() - start < 1.5:
            f = lively.recv_frame(timeout=2)
            assert f.opcode == PING
            lively.send(PONG, f.payload)
        roundtrip(lively, TEXT, b"alive")
        # The silent one saw pings, never answered, and was closed as dead.
        silent.expect_close(1001, timeout=3)
        lively.close()
    finally:
        d.check_clean_exit()


def test_sigterm_closes_sessions_with_1001():
    d = SignalDaemon(WS_ECHO=1)
    d.wait_ready()
    clients = [connect(d) for _ in range(3)]
    d.proc.send_signal(15)
    assert d.notify.wait_for("STOPPING=1", 5) is not None
    for ws in clients:
        f = ws.recv_frame()
        assert f.opcode == CLOSE and f.close_code == 1001
        ws.send(CLOSE, close_payload(1001))
        ws.close()
    assert d.proc.wait(10) == 0
    d.stop()
