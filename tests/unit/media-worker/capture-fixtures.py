#!/usr/bin/python3
"""Captures real STUN, DTLS, RTP and RTCP packets from two aiortc peers and prints them as C
arrays (tests/unit/media-worker/media-fixtures.h).

Run as root, from the repository root, in a private network namespace (aiortc gathers no
candidate on lo alone, so the script makes a veth pair inside the namespace):

    unshare -n /usr/bin/python3 tests/unit/media-worker/capture-fixtures.py \
        > tests/unit/media-worker/media-fixtures.h

pc1 sends a 440 Hz tone (Opus, so ssrc-audio-level carries a real level) and aiortc's test
video (VP8); pc2 receives. Every packet is taken where aiortc hands it on:
- STUN at aioice's StunProtocol.send_stun (the bytes that go on the wire), with both sides'
  ICE ufrag and password from the SDPs, so the tests can check MESSAGE-INTEGRITY for real;
- RTP and RTCP at RTCDtlsTransport._send_rtp, before SRTP protection (plain packets);
- DTLS records and SRTP/SRTCP at StunProtocol.send_data (what goes on the wire).
aiortc 1.4 gives audio's ssrc-audio-level and video's abs-send-time the same id (2) and parses
a bundle with one id map, so the receiver fails on every packet; abs-send-time gets id 3 here.
Some video packets of pc1 are dropped before protection, so that pc2 sends NACKs (and pc1
retransmits them over RTX).
What the peers did not send is made with aiortc's own serializers (aiortc.rtp) from captured
values: a PLI and a FIR for pc1's video, and the captured Opus packet again with CSRCs,
padding and two-byte header extensions (ids above 14 force RFC 8285's two-byte form).
"""
import asyncio
import fractions
import math
import subprocess
import sys

import numpy
from aioice import ice as aioice_ice
from aioice import stun as aioice_stun
from struct import pack

from aiortc import RTCPeerConnection, rtcdtlstransport, rtp as artp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.codecs import HEADER_EXTENSIONS
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame

captured = []  # (label, side, bytes)
side_of = {}  # id(object) -> "pc1"/"pc2"


def veth():
    for cmd in (
        "ip link add v0 type veth peer name v1",
        "ip addr add 10.77.0.1/24 dev v0",
        "ip addr add 10.77.0.2/24 dev v1",
        "ip link set v0 up",
        "ip link set v1 up",
        "ip link set lo up",
    ):
        subprocess.run(cmd.split(), check=True)


class Tone(AudioStreamTrack):
    """A 440 Hz tone at about -20 dBov, 20 ms frames of 48 kHz mono."""

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        frame = await super().recv()
        t = (numpy.arange(frame.samples) + self.n) / frame.sample_rate
        self.n += frame.samples
        pcm = (3276 * numpy.sin(2 * math.pi * 440 * t)).astype("int16")
        out = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        out.sample_rate = frame.sample_rate
        out.pts = frame.pts
        out.time_base = fractions.Fraction(1, frame.sample_rate)
        return out


def hook():
    orig_send_rtp = rtcdtlstransport.RTCDtlsTransport._send_rtp
    counter = {"video": 0}

    async def send_rtp(self, data):
        side = side_of.get(id(self), "?")
        is_rtcp = len(data) >= 2 and 192 <= data[1] <= 208
        if not is_rtcp and side == "pc1" and (data[1] & 0x7F) in (97, 98, 99, 100):
            counter["video"] += 1
            if counter["video"] % 25 == 10:
                captured.append(("rtp-dropped", side, bytes(data)))
                return
        captured.append(("rtcp" if is_rtcp else "rtp", side, bytes(data)))
        await orig_send_rtp(self, data)

    rtcdtlstransport.RTCDtlsTransport._send_rtp = send_rtp

    orig_send_stun = aioice_ice.StunProtocol.send_stun
    orig_send_data = aioice_ice.StunProtocol.send_data

    def send_stun(self, message, addr):
        captured.append(("stun", str(self.local_candidate.host), bytes(message)))
        return orig_send_stun(self, message, addr)

    async def send_data(self, data, addr):
        captured.append(("wire", str(self.local_candidate.host), bytes(data)))
        return await orig_send_data(self, data, addr)

    aioice_ice.StunProtocol.send_stun = send_stun
    aioice_ice.StunProtocol.send_data = send_data


def ice_creds(sdp):
    ufrag = next(l.split(":", 1)[1] for l in sdp.splitlines() if l.startswith("a=ice-ufrag:"))
    pwd = next(l.split(":", 1)[1] for l in sdp.splitlines() if l.startswith("a=ice-pwd:"))
    return ufrag, pwd


async def run():
    pc1, pc2 = RTCPeerConnection(), RTCPeerConnection()
    pc1.addTrack(Tone())
    pc1.addTrack(VideoStreamTrack())
    frames = {"audio": 0, "video": 0}

    @pc2.on("track")
    def on_track(track):
        async def drain():
            while True:
                try:
                    await track.recv()
                    frames[track.kind] += 1
                except Exception:
                    return

        asyncio.ensure_future(drain())

    await pc1.setLocalDescription(await pc1.createOffer())
    await pc2.setRemoteDescription(pc1.localDescription)
    await pc2.setLocalDescription(await pc2.createAnswer())
    await pc1.setRemoteDescription(pc2.localDescription)
    for pc, name in ((pc1, "pc1"), (pc2, "pc2")):
        for t in pc.getTransceivers():
            side_of[id(t.sender.transport)] = name
    await asyncio.sleep(6)
    await pc1.close()
    await pc2.close()
    return ice_creds(pc1.localDescription.sdp), ice_creds(pc2.localDescription.sdp), frames


def c_array(name, data, comment):
    lines = ["/* %s */" % comment, "static const uint8_t %s[] = {" % name]
    for i in range(0, len(data), 12):
        lines.append("    " + ", ".join("0x%02x" % b for b in data[i : i + 12]) + ",")
    lines.append("};")
    return "\n".join(lines)


def rtcp_kinds(data):
    kinds, off = [], 0
    while off + 4 <= len(data):
        pt, fmt = data[off + 1], data[off] & 0x1F
        kinds.append("%d/%d" % (pt, fmt))
        off += (int.from_bytes(data[off + 2 : off + 4], "big") + 1) * 4
    return "+".join(kinds)


def expected(name, data):
    """What aiortc's and aioice's own parsers read in a fixture: the tests compare with it."""
    d = {}
    if name.startswith("stun"):
        m = aioice_stun.parse_message(data)
        a = m.attributes
        d["TYPE"] = (m.message_method | m.message_class)
        d["TID"] = '"' + "".join("\\x%02x" % b for b in m.transaction_id) + '"'
        for k in ("PRIORITY", "ICE-CONTROLLING", "ICE-CONTROLLED"):
            if k in a:
                d[k.replace("-", "_")] = "UINT64_C(%d)" % a[k]
        if "USERNAME" in a:
            d["USERNAME"] = '"%s"' % a["USERNAME"]
        d["USE_CANDIDATE"] = int("USE-CANDIDATE" in a)
        if "XOR-MAPPED-ADDRESS" in a:
            ip, port = a["XOR-MAPPED-ADDRESS"]
            d["XOR_IP"] = '"%s"' % ip
            d["XOR_PORT"] = port
    elif name.startswith("rtp"):
        hm = artp.HeaderExtensionsMap()
        two = name.endswith("two_byte")
        hm.configure(RTCRtpParameters(headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=15 if two else 1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(id=16 if two else 2, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
            RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")]))
        r = artp.RtpPacket.parse(data, hm)
        d.update(PT=r.payload_type, SEQ=r.sequence_number, TS=r.timestamp, SSRC=r.ssrc,
                 MARKER=r.marker, PAYLOAD_LEN=len(r.payload), CSRC_COUNT=len(r.csrc),
                 PADDING=r.padding_size)
        if r.extensions.mid is not None:
            d["MID"] = '"%s"' % r.extensions.mid
        if r.extensions.audio_level is not None:
            d["VOICE"], d["LEVEL"] = int(r.extensions.audio_level[0]), r.extensions.audio_level[1]
        if r.extensions.abs_send_time is not None:
            d["ABS_SEND_TIME"] = r.extensions.abs_send_time
    elif name.startswith("rtcp"):
        for i, pk in enumerate(artp.RtcpPacket.parse(data)):
            pre = "P%d_" % i
            if hasattr(pk, "ssrc"):
                d[pre + "SSRC"] = pk.ssrc
            if hasattr(pk, "media_ssrc"):
                d[pre + "MEDIA_SSRC"] = pk.media_ssrc
            si = getattr(pk, "sender_info", None)
            if si:
                d.update({pre + "NTP": "UINT64_C(%d)" % si.ntp_timestamp, pre + "RTP_TS": si.rtp_timestamp,
                          pre + "PACKETS": si.packet_count, pre + "OCTETS": si.octet_count})
            for j, rb in enumerate(getattr(pk, "reports", [])):
                for f in ("ssrc", "fraction_lost", "packets_lost", "highest_sequence", "jitter", "lsr", "dlsr"):
                    d["%sRB%d_%s" % (pre, j, f.upper())] = getattr(rb, f)
            if getattr(pk, "lost", None):
                d[pre + "LOST"] = "{" + ", ".join(str(x) for x in pk.lost) + "}"
            if getattr(pk, "sources", None):
                d[pre + "SOURCES"] = "{" + ", ".join(str(x) for x in pk.sources) + "}"
            for j, ch in enumerate(getattr(pk, "chunks", [])):
                d["%sCHUNK%d_SSRC" % (pre, j)] = ch.ssrc
                for t, v in ch.items:
                    if t == 1:
                        d["%sCHUNK%d_CNAME" % (pre, j)] = '"%s"' % v.decode()
            if getattr(pk, "fmt", None) == 15 and pk.fci[:4] == b"REMB":
                bitrate, ssrcs = artp.unpack_remb_fci(pk.fci)
                d[pre + "REMB_BITRATE"] = bitrate
                d[pre + "REMB_SSRCS"] = "{" + ", ".join(str(x) for x in ssrcs) + "}"
    return "\n".join("#define FX_%s_%s %s" % (name.upper(), k, v) for k, v in d.items())


def pick(creds1, creds2):
    out = []
    ssrc = lambda d: int.from_bytes(d[8:12], "big")
    stun = [(s, d) for l, s, d in captured if l == "stun"]
    req = [d for s, d in stun if d[0:2] == b"\x00\x01"]
    resp = [d for s, d in stun if d[0:2] == b"\x01\x01"]
    # The controlling side (pc1, the offerer) nominates with USE-CANDIDATE (0x0025).
    ctl = [d for d in req if b"\x80\x2a\x00\x08" in d]
    ctd = [d for d in req if b"\x80\x29\x00\x08" in d]
    use = [d for d in ctl if b"\x00\x25\x00\x00" in d]
    out.append(("stun_req_controlling", (use or ctl)[0],
                "Binding request from aiortc/aioice 0.8 (controlling: pc1); integrity key: pc2's ice-pwd"))
    out.append(("stun_req_controlled", ctd[0],
                "Binding request from aiortc/aioice 0.8 (controlled: pc2); integrity key: pc1's ice-pwd"))
    out.append(("stun_resp", resp[0], "Binding success response from aioice 0.8"))
    wire = [(s, d) for l, s, d in captured if l == "wire"]
    dtls = [d for s, d in wire if 20 <= d[0] <= 63]
    out.append(("dtls_client_hello", next(d for d in dtls if d[0] == 22 and d[13] == 1),
                "first DTLS flight of aiortc's DTLS client: a ClientHello record, from the wire"))
    srtp = [d for s, d in wire if 128 <= d[0] <= 191 and not (192 <= d[1] <= 223)]
    out.append(("srtp_wire", srtp[0], "an SRTP packet as aiortc put it on the wire (header in clear)"))
    rtp = [(s, d) for l, s, d in captured if l == "rtp"]
    audio = [d for s, d in rtp if s == "pc1" and (d[1] & 0x7F) == 96]
    video = [d for s, d in rtp if s == "pc1" and (d[1] & 0x7F) == 97]
    rtx = [d for s, d in rtp if s == "pc1" and (d[1] & 0x7F) == 98]
    loud = [d for d in audio if len(d) > 12 and d[12] == 0xBE]
    out.append(("rtp_opus", loud[20], "plain Opus RTP from aiortc 1.4 (mid + ssrc-audio-level, one-byte)"))
    marker = [d for d in video if d[1] & 0x80]
    out.append(("rtp_vp8", video[1], "plain VP8 RTP from aiortc 1.4 (mid + abs-send-time, one-byte)"))
    out.append(("rtp_vp8_marker", marker[0], "plain VP8 RTP, last packet of a frame (marker bit)"))
    if rtx:
        out.append(("rtp_rtx", rtx[0], "plain RTX retransmission (RFC 4588) of a dropped VP8 packet"))
    rtcp = [(s, d) for l, s, d in captured if l == "rtcp"]
    seen = set()
    names = {"200/0": "sr", "201/1": "rr", "201/2": "rr2", "202/1": "sdes", "203/1": "bye",
             "205/1": "nack", "206/1": "pli", "206/15": "remb"}
    for s, d in rtcp:
        k = rtcp_kinds(d)
        if k in seen:
            continue
        seen.add(k)
        name = "rtcp_" + "_".join(names.get(x, x.replace("/", "_")) for x in k.split("+"))
        out.append((name, d, "plain RTCP from aiortc 1.4 (%s), packet types %s" % (s, k)))
    return out + synthesized(loud[20], video[1])


def synthesized(opus, vp8):
    """Packets the peers did not send, made with aiortc.rtp from captured ones."""
    out = []
    video_ssrc = int.from_bytes(vp8[8:12], "big")
    pli = artp.RtcpPsfbPacket(fmt=1, ssrc=0x1234ABCD, media_ssrc=video_ssrc)
    fir = artp.RtcpPsfbPacket(fmt=4, ssrc=0x1234ABCD, media_ssrc=0,
                              fci=pack("!LB3x", video_ssrc, 7))
    out.append(("rtcp_pli", bytes(pli), "PLI for pc1's video, made with aiortc.rtp.RtcpPsfbPacket"))
    out.append(("rtcp_fir", bytes(fir), "FIR (seq nr 7) for pc1's video, aiortc.rtp.RtcpPsfbPacket"))
    one = artp.HeaderExtensionsMap()
    one.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(id=2, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level")]))
    two = artp.HeaderExtensionsMap()
    two.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=15, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(id=16, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level")]))
    packet = artp.RtpPacket.parse(opus, one)
    packet.csrc = [0x11111111, 0x22222222]
    packet.padding_size = 4
    out.append(("rtp_opus_two_byte", packet.serialize(two),
                "the Opus packet with 2 CSRCs, 4 bytes of padding, mid as id 15 and "
                "ssrc-audio-level as id 16 (two-byte form), aiortc.rtp.RtpPacket.serialize"))
    return out


def main():
    for ext in HEADER_EXTENSIONS["video"]:
        if ext.uri.endswith("abs-send-time"):
            ext.id = 3
    veth()
    hook()
    creds1, creds2, frames = asyncio.run(run())
    print("/* media-fixtures.h: real packets from two aiortc 1.4 peers (generated by")
    print(" * capture-fixtures.py in this directory: read it for how; do not edit by hand). */")
    print("#pragma once\n\n#include <stddef.h>\n#include <stdint.h>\n")
    print("/* A fixture in a table of them: FIXTURE(fx_rtp_opus). */")
    print("typedef struct Fixture {\n    const char *name;\n    const uint8_t *data;\n"
          "    size_t len;\n} Fixture;\n#define FIXTURE(array) {#array, array, sizeof(array)}\n")
    print('#define FIXTURE_PC1_UFRAG "%s"\n#define FIXTURE_PC1_PWD "%s"' % creds1)
    print('#define FIXTURE_PC2_UFRAG "%s"\n#define FIXTURE_PC2_PWD "%s"\n' % creds2)
    for name, data, comment in pick(creds1, creds2):
        print(c_array("fx_" + name, data, comment))
        print(expected(name, data) + "\n")
    print("frames decoded by pc2: audio %d, video %d" % (frames["audio"], frames["video"]),
          file=sys.stderr)


main()
