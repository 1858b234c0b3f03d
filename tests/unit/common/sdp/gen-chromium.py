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
# and it logs whether Chromium took hype-sdp's answer to its publishing offer (sdp-tool answer).
# sdp-tool is built first: make build/libhype-common.a, then the gcc line in sdp-tool.c.
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

TOOL = os.environ.get("SDP_TOOL", "../../../../build/sdp-tool")


def sdp_tool(args, stdin=b""):
    return subprocess.run([TOOL] + args, input=stdin, capture_output=True, check=True).stdout


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            body = open("gen-chromium.html", "rb").read()
        elif self.path.startswith("/offer/"):
            body = sdp_tool(["offer", os.path.basename(self.path)])
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        text = self.rfile.read(int(self.headers["Content-Length"])).decode()
        name = os.path.basename(self.path)
        if name == "answer":
            body = sdp_tool(["answer"], text.encode())
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if name.startswith("log-"):
            print(name[4:] + ":", text, file=sys.stderr)
        elif name == "done":
            print("chromium:", text, file=sys.stderr)
            threading.Thread(target=self.server.shutdown).start()
        else:
            with open(name, "w", newline="") as f:
                f.write(text)
            print(name, len(text), "bytes", file=sys.stderr)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
profile = tempfile.mkdtemp()
browser = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
     "--no-first-run", "--disable-background-networking", "--disable-component-update",
     "--disable-sync", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
     "--allow-loopback-in-peer-connection", "--user-data-dir=" + profile,
     "http://127.0.0.1:%d/" % server.server_port],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = threading.Timer(60, server.shutdown)
deadline.start()
server.serve_forever()
deadline.cancel()
browser.terminate()
browser.wait()
shutil.rmtree(profile)
