#!/usr/bin/python3
# Regenerates the mediasoup-client fixtures of test-signal-ortc (committed; not run by the tests).
# mediasoup-client (npm) is bundled with esbuild, from a scratch directory:
#   (cd /tmp/msc && npm install mediasoup-client@3.24.1 esbuild@0.28.2)
#   NODE_PATH=/tmp/msc/node_modules /tmp/msc/node_modules/.bin/esbuild --bundle \
#     gen-ortc.js --outfile=/tmp/msc/ortc-bundle.js
# ortc-tool is built from the tree (the gcc line in ortc-tool.c), then from this folder:
#   unshare -n sh -c 'ip link set lo up; exec /usr/bin/python3 gen-ortc.py'
# Headless Debian Chromium 156 with fake devices runs the bundle (see gen-ortc.js), which
# loads `ortc-tool caps` into a Device and posts back:
#   hype-router-rtp-capabilities.json              what device.load() was given (ortc-tool caps)
#   mediasoup-client-device-rtp-capabilities.json  device.rtpCapabilities after that load
#   mediasoup-client-produce-audio.json            rtpParameters of produce() of the fake mic
#   mediasoup-client-produce-video.json            ... of the fake camera (VP8, one encoding)
#   mediasoup-client-produce-video-simulcast.json  ... with three simulcast encodings (rids)
#   mediasoup-client-produce-video-h264.json       ... as H264 (produce's codec option)
#   hype-consumer-<name>.json   `ortc-tool consume` for each produce and this device: what
#                               recv.consume() was given
#   mediasoup-client-accepted.json  load, each produce and each consume succeeded (consume: the
#                               state of the consumer's track)
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../common/sdp"))
import headless  # noqa: E402

BUNDLE = os.environ.get("MSC_BUNDLE", "/tmp/msc/ortc-bundle.js")
TOOL = os.environ.get("ORTC_TOOL", "../../../../build/ortc-tool")
PAGE = b'<!doctype html><meta charset="utf-8"><script src="/bundle.js"></script>'


def tool(args, stdin=b""):
    return subprocess.run([TOOL] + args, input=stdin, capture_output=True, check=True).stdout


def get(path):
    if path == "/bundle.js":
        return open(BUNDLE, "rb").read()
    if path == "/caps":
        caps = tool(["caps"])
        with open("hype-router-rtp-capabilities.json", "wb") as f:
            f.write(caps)
        return caps
    return PAGE


def post(name, text):
    """POST /consume-<kind>-<mid> {rtpParameters, rtpCapabilities}: ortc-tool's consumer."""
    if not name.startswith("consume-"):
        return None
    _, kind, mid = name.split("-")
    try:
        return tool(["consume", kind, mid], text.encode())
    except subprocess.CalledProcessError as e:
        print("ortc-tool:", e.stderr.decode(), file=sys.stderr)
        return json.dumps({"error": e.stderr.decode()}).encode()


headless.run(get, post)
