"""A real 1:1 call: two aiortc peers (python, Debian's python3-aiortc) that know nothing of each
other but what Hype relays. A calls B over REST, B accepts over the raw WebSocket protocol, the
offer, the answer and every ICE candidate go through hype-signal as webrtc:* messages, then audio
and video flow peer to peer and each side decodes the other's frames; A hangs up over REST.

aiortc gathers no candidate on loopback, so the test adds a veth pair inside its private network
namespace (tools/run-integration runs pytest under `unshare -n`); outside one it is skipped."""

import asyncio
import fractions
import os
import subprocess
import time

import pytest

from hype import bearer, register
from test_signal_sessions import Client, run, start_stack, stop_stack

aiortc = pytest.importorskip("aiortc", reason="python3-aiortc is not installed (tools/install-deps)")
np = pytest.importorskip("numpy")
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402
from av import VideoFrame  # noqa: E402

VETH = ("v0", "10.77.0.1", "v1", "10.77.0.2")


def _private_netns():
    """True in a namespace like `unshare -n` makes: no interface but lo (and our veth pair)."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True)
    names = {line.split(":")[1].strip().split("@")[0] for line in out.stdout.splitlines() if ":" in line}
    return out.returncode == 0 and "lo" in names and names <= {"lo", VETH[0], VETH[2]}


@pytest.fixture(scope="module")
def veth():
    """Addresses for the peers' host candidates: a veth pair that exists only in this namespace."""
    if os.geteuid() != 0:
        pytest.skip("needs root to add a veth pair (run under tools/run-integration as root)")
    if not _private_netns():
        pytest.skip("not in a private network namespace: run under tools/run-integration (unshare -n)")
    a, a_ip, b, b_ip = VETH
    ip = ["ip"]
    made = subprocess.run(ip + ["link", "show", a], capture_output=True).returncode != 0
    if made:
        for cmd in (["link", "add", a, "type", "veth", "peer", "name", b], ["addr", "add", f"{a_ip}/24", "dev", a],
                    ["addr", "add", f"{b_ip}/24", "dev", b], ["link", "set", a, "up"], ["link", "set", b, "up"]):
            subprocess.run(ip + cmd, check=True)
    yield a_ip, b_ip
    if made:
        subprocess.run(ip + ["link", "del", a], check=False)


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="5s", WS_PING_INTERVAL="5s")
    yield api, sig
    stop_stack(api, sig)


class ColorTrack(MediaStreamTrack):
    """Video of one solid colour at 30 fps, 320x240: the receiver can tell whose frames it got."""

    kind = "video"

    def __init__(self, rgb):
        super().__init__()
        self.image = np.full((240, 320, 3), rgb, np.uint8)
        self.pts = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        else:
            self.pts += 3000
            wait = self.start + self.pts / 90000 - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = VideoFrame.from_ndarray(self.image, format="rgb24")
        frame.pts, frame.time_base = self.pts, fractions.Fraction(1, 90000)
        return frame


def strip_abs_send_time(sdp):
    """aiortc 1.4 misparses the abs-send-time header extension: no frame would be decoded."""
    return "".join(line for line in sdp.splitlines(keepends=True)
                   if not (line.startswith("a=extmap:") and "abs-send-time" in line))


def split_candidates(sdp):
    """The SDP without its candidates (aiortc does not trickle: it puts them all in), and those
    candidates as a browser would trickle them: {candidate, sdpMid, sdpMLineIndex}."""
    lines, candidates, mid, index = [], [], None, -1
    for line in sdp.splitlines(keepends=True):
        if line.startswith("m="):
            index += 1
            mid = None
        elif line.startswith("a=mid:"):
            mid = line.strip()[len("a=mid:"):]
        if line.startswith("a=candidate:"):
            candidates.append({"candidate": line.strip()[2:], "sdpMid": mid, "sdpMLineIndex": index})
            continue
        if line.startswith("a=end-of-candidates"):
            continue
        lines.append(line)
    return "".join(lines), candidates


class Peer:
    """One side of the call: sends its colour and a tone, counts what it decodes of the other."""

    def __init__(self, rgb):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # host candidates only
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(ColorTrack(rgb))
        self.frames = {"audio": 0, "video": 0}
        self.colors = []
        self.tasks = []
        self.pc.on("track", lambda track: self.tasks.append(asyncio.ensure_future(self._drain(track))))

    async def _drain(self, track):
        try:
            while True:
                frame = await track.recv()
                self.frames[track.kind] += 1
                if track.kind == "video" and self.frames["video"] % 10 == 1:
                    self.colors.append(frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0))
        except MediaStreamError:
            pass

    async def describe(self, offer):
        """Creates and sets the local offer or answer: (sdp without candidates, candidates)."""
        desc = await (self.pc.createOffer() if offer else self.pc.createAnswer())
        await self.pc.setLocalDescription(desc)  # gathers every candidate
        sdp, candidates = split_candidates(self.pc.localDescription.sdp)
        assert candidates, "aiortc gathered no candidate"
        return sdp, candidates

    async def remote(self, type_, sdp):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=strip_abs_send_time(sdp), type=type_))

    async def add_candidate(self, c):
        assert c["candidate"].startswith("candidate:"), c
        cand = candidate_from_sdp(c["candidate"][len("candidate:"):])
        cand.sdpMid, cand.sdpMLineIndex = c["sdpMid"], c["sdpMLineIndex"]
        await self.pc.addIceCandidate(cand)

    async def close(self):
        await self.pc.close()
        for t in self.tasks:
            t.cancel()


def close_to(color, rgb, tolerance=40):
    return all(abs(float(c) - v) < tolerance for c, v in zip(color, rgb))


RED, BLUE = (220, 30, 30), (30, 30, 220)


async def media_flows(pa, pb, seconds=3.0, deadline=10.0):
    """Waits until both peers decode frames, then for `seconds`; returns the frames decoded in
    that window per peer."""
    end = time.monotonic() + deadline
    while not all(p.frames["audio"] and p.frames["video"] for p in (pa, pb)):
        assert time.monotonic() < end, (
            f"no media within {deadline}s: A {pa.frames} ({pa.pc.connectionState}/{pa.pc.iceConnectionState}), "
            f"B {pb.frames} ({pb.pc.connectionState}/{pb.pc.iceConnectionState})")
        await asyncio.sleep(0.1)
    before = [dict(p.frames) for p in (pa, pb)]
    await asyncio.sleep(seconds)
    return [{k: p.frames[k] - b[k] for k in b} for p, b in zip((pa, pb), before)]


def test_a_real_call_between_two_aiortc_peers_signalled_through_hype(stack, veth):
    api, sig = stack
    a, _ = register(api)
    b, _ = register(api)
    a_id, b_id = a["user"]["id"], b["user"]["id"]

    async def http(method, path, **kw):
        # aiortc runs on this loop: a blocking request would stall its ICE checks.
        return await asyncio.to_thread(api, method, path, **kw)

    async def go():
        ca = await Client.connect(sig, a["accessToken"])
        cb = await Client.connect(sig, b["accessToken"])
        pa, pb = Peer(RED), Peer(BLUE)
        try:
            r = await http("POST", "/api/calls", headers=bearer(a["accessToken"]), json={"calleeId": b_id})
            assert r.status_code == 201, r.text
            call = r.json()["data"]
            call_id = call["callId"]
            assert call["state"] == "ringing"
            incoming = await cb.expect("call:incoming")
            assert incoming["data"]["callId"] == call_id and incoming["data"]["callerId"] == a_id
            await cb.send("call:accept", {"callId": call_id})
            accepted = await ca.expect("call:accept")
            assert accepted["data"] == {"callId": call_id, "calleeId": b_id} or (
                accepted["data"]["callId"] == call_id and accepted["data"]["calleeId"] == b_id)

            # A offers; its candidates trickle after the offer, one message each.
            sdp, a_candidates = await pa.describe(offer=True)
            await ca.send("webrtc:offer", {"callId": call_id, "sdp": sdp})
            for c in a_candidates:
                await ca.send("webrtc:ice-candidate", {"callId": call_id, "candidate": c})
            offer = await cb.expect("webrtc:offer")
            assert offer["data"]["from"] == a_id and offer["data"]["callId"] == call_id
            assert offer["data"]["sdp"] == sdp, "relayed as sent"
            await pb.remote("offer", offer["data"]["sdp"])
            sdp_b, b_candidates = await pb.describe(offer=False)
            await cb.send("webrtc:answer", {"callId": call_id, "sdp": sdp_b})
            for c in b_candidates:
                await cb.send("webrtc:ice-candidate", {"callId": call_id, "candidate": c})
            got_b = []
            while len(got_b) < len(a_candidates):
                f = await cb.expect("webrtc:ice-candidate")
                assert f["data"]["from"] == a_id and f["data"]["callId"] == call_id
                got_b.append(f["data"]["candidate"])
                await pb.add_candidate(f["data"]["candidate"])
            assert got_b == a_candidates
            answer = await ca.expect("webrtc:answer")
            assert answer["data"]["from"] == b_id and answer["data"]["sdp"] == sdp_b
            await pa.remote("answer", answer["data"]["sdp"])
            got_a = []
            while len(got_a) < len(b_candidates):
                f = await ca.expect("webrtc:ice-candidate")
                assert f["data"]["from"] == b_id
                got_a.append(f["data"]["candidate"])
                await pa.add_candidate(f["data"]["candidate"])
            assert got_a == b_candidates

            # Media flows both ways, each side decoding the other's audio and video.
            at_a, at_b = await media_flows(pa, pb, seconds=3.0)
            for who, got in (("A", at_a), ("B", at_b)):
                assert got["audio"] >= 60, f"{who} decoded {got['audio']} audio frames in 3 s (~150 expected)"
                assert got["video"] >= 30, f"{who} decoded {got['video']} video frames in 3 s (~90 expected)"
            assert pa.colors and all(close_to(c, BLUE) for c in pa.colors[1:]), pa.colors
            assert pb.colors and all(close_to(c, RED) for c in pb.colors[1:]), pb.colors
            r = await http("GET", f"/api/calls/{call_id}", headers=bearer(b["accessToken"]))
            assert r.status_code == 200 and r.json()["data"]["status"] == "active", r.text

            # A hangs up over REST; B learns it live.
            r = await http("POST", f"/api/calls/{call_id}/end", headers=bearer(a["accessToken"]))
            assert r.status_code == 200, r.text
            assert r.json()["data"]["call"]["status"] == "ended"
            ended = await cb.expect("call:ended")
            assert ended["data"]["callId"] == call_id and ended["data"]["status"] == "ended"
            assert ended["data"]["reason"] == "hangup" and ended["data"]["endedBy"] == a_id
            await ca.expect("call:ended", where=lambda d: d["callId"] == call_id)
            # The call is over for the relay too.
            await ca.send("webrtc:offer", {"callId": call_id, "sdp": sdp})
            err = await ca.expect("error")
            assert err["data"]["code"] == 404, err
        finally:
            await pa.close()
            await pb.close()
            await ca.close()
            await cb.close()
    run(go())
