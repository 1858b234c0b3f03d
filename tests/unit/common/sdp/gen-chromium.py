#!/usr/bin/python3
# Regenerates the Chromium fixtures of test-hype-sdp (committed; not run by the tests):
#   unshare -n sh -c 'ip link set lo up; ip link add v0 type veth peer name v1;
#     ip addr add 10.77.0.1/24 dev v0; ip addr add 10.77.0.2/24 dev v1;
#     ip link set v0 up; ip link set v1 up; exec /usr/bin/python3 gen-chromium.py'
# Serves gen-chromium.html on 127.0.0.1 (getUserMedia wants a secure context) to headless
# Debian Chromium with fake devices, which posts back each description as a fixture:
#   chromium-offer.sdp            addTransceiver('audio'), addTransceiver('video'), a data channel
#   chromium-publish-offer.sdp    fake microphone and camera, sendonly
#   chromium-simulcast-offer.sdp  the same with three simulcast rids on the video
#   chromium-answer-sfu-offer-<n>.sdp  Chromium's answers to four offers of hype-sdp, one
#                                 renegotiation (sdp-tool offer <n>)
# and it logs whether Chromium took hype-sdp's answers to its publishing offers (sdp-tool answer),
# one of them with a data channel first (rejected, so the answer's BUNDLE group starts at mid 1).
# sdp-tool is built first: make build/libhype-common.a, then the gcc line in sdp-tool.c.
import os
import subprocess

import headless

TOOL = os.environ.get("SDP_TOOL", "../../../../build/sdp-tool")


def sdp_tool(args, stdin=b""):
    return subprocess.run([TOOL] + args, input=stdin, capture_output=True, check=True).stdout


def get(path):
    if path == "/":
        return open("gen-chromium.html", "rb").read()
    if path.startswith("/offer/"):
        return sdp_tool(["offer", os.path.basename(path)])
    return None


def post(name, text):
    return sdp_tool(["answer"], text.encode()) if name == "answer" else None


headless.run(get, post)
