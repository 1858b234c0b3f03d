#!/usr/bin/python3
# Regenerates the aiortc fixtures of test-hype-sdp (committed; not run by the tests):
#   unshare -n sh -c 'ip link set lo up; ip link add v0 type veth peer name v1;
#     ip addr add 10.77.0.1/24 dev v0; ip addr add 10.77.0.2/24 dev v1;
#     ip link set v0 up; ip link set v1 up; exec /usr/bin/python3 gen-aiortc.py'
# (Debian's python3-aiortc 1.4.0; the namespace keeps the candidates on 10.77.0.x.)
#   aiortc-offer.sdp         a publisher: audio and video tracks, sendonly, plus a data channel
#   aiortc-answer.sdp        another aiortc peer's answer to it (recvonly)
#   aiortc-recv-offer.sdp    a subscriber's offer: recvonly audio and video, no tracks
#   aiortc-answer-sfu-offer-<n>.sdp  aiortc's answers to four offers of hype-sdp, one
#                            renegotiation (sdp-tool offer <n>)
# and it checks that aiortc takes hype-sdp's answer to its publishing offer (sdp-tool answer).
# sdp-tool is built first: make build/libhype-common.a, then the gcc line in sdp-tool.c.
import asyncio
import os
import subprocess
import sys

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack


TOOL = os.environ.get("SDP_TOOL", "../../../../build/sdp-tool")


def sdp_tool(args, stdin=""):
    return subprocess.run([TOOL] + args, input=stdin, capture_output=True, text=True,
                          check=True).stdout


def save(name, sdp):
    with open(name, "w", newline="") as f:
        f.write(sdp)
    print(name, len(sdp), "bytes", file=sys.stderr)


async def main():
    pub = RTCPeerConnection()
    pub.addTransceiver(AudioStreamTrack(), direction="sendonly")
    pub.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pub.createDataChannel("chat")
    await pub.setLocalDescription(await pub.createOffer())
    save("aiortc-offer.sdp", pub.localDescription.sdp)

    sub = RTCPeerConnection()
    await sub.setRemoteDescription(RTCSessionDescription(pub.localDescription.sdp, "offer"))
    await sub.setLocalDescription(await sub.createAnswer())
    save("aiortc-answer.sdp", sub.localDescription.sdp)

    recv = RTCPeerConnection()
    recv.addTransceiver("audio", direction="recvonly")
    recv.addTransceiver("video", direction="recvonly")
    await recv.setLocalDescription(await recv.createOffer())
    save("aiortc-recv-offer.sdp", recv.localDescription.sdp)

    sfu_answer = sdp_tool(["answer"], pub.localDescription.sdp)
    await pub.setRemoteDescription(RTCSessionDescription(sfu_answer, "answer"))
    print("publish: ok:", *(t.currentDirection for t in pub.getTransceivers()), file=sys.stderr)

    subscriber = RTCPeerConnection()
    for step in (1, 2, 3, 4):
        offer = sdp_tool(["offer", str(step)])
        await subscriber.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await subscriber.setLocalDescription(await subscriber.createAnswer())
        save("aiortc-answer-sfu-offer-%d.sdp" % step, subscriber.localDescription.sdp)

    for pc in (pub, sub, recv, subscriber):
        await pc.close()
    await asyncio.sleep(0.5)  # lets the closed transports finish before the loop goes


asyncio.run(main())
