#!/usr/bin/python3
# Regenerates the mediasoup-client fixtures of test-hype-sdp (committed; not run by the tests).
# mediasoup-client (npm) comes bundled with esbuild, from a scratch directory:
#   (cd /tmp/msc && npm install mediasoup-client@3.24.1 esbuild@0.28.2)
#   NODE_PATH=/tmp/msc/node_modules /tmp/msc/node_modules/.bin/esbuild --bundle \
#     gen-mediasoup-client.js --outfile=/tmp/msc/bundle.js
#   unshare -n sh -c 'ip link set lo up; ip link add v0 type veth peer name v1;
#     ip addr add 10.77.0.1/24 dev v0; ip addr add 10.77.0.2/24 dev v1;
#     ip link set v0 up; ip link set v1 up; exec /usr/bin/python3 gen-mediasoup-client.py'
# Headless Debian Chromium with fake devices runs the bundle (see gen-mediasoup-client.js):
#   mediasoup-client-answer.sdp         the answer mediasoup-client writes for the server when
#                                       publishing audio and simulcast video
#   mediasoup-client-publish-offer.sdp  Chromium's offer it answers
#   mediasoup-client-offer.sdp          the offer mediasoup-client writes for the server when
#                                       consuming audio and video (with its "probator" section)
#   chromium-answer-mediasoup-client-offer.sdp  Chromium's answer to it
import os

import headless

BUNDLE = os.environ.get("MSC_BUNDLE", "/tmp/msc/bundle.js")
PAGE = b'<!doctype html><meta charset="utf-8"><script src="/bundle.js"></script>'

headless.run(lambda path: open(BUNDLE, "rb").read() if path == "/bundle.js" else PAGE)
