# headless: what the Chromium fixture generators share (gen-chromium.py, gen-mediasoup-client.py):
# a local HTTP server for a page, and headless Debian Chromium with fake devices pointed at it.
# The page POSTs /save/<name> (written here as a fixture), /log-<what> (printed) and /done.
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


def run(get, post=None, seconds=60):
    """Serves get(path) (bytes, or None for 404) and post(name, text) (bytes to answer, or None
    to treat the POST as above) on 127.0.0.1 to Chromium until the page posts /done."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, body):
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def do_GET(self):
            self.reply(get(self.path))

        def do_POST(self):
            text = self.rfile.read(int(self.headers["Content-Length"])).decode()
            name = os.path.basename(self.path)
            body = post(name, text) if post else None
            if body is not None:
                return self.reply(body)
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
        ["chromium", *CHROMIUM_FLAGS, "--user-data-dir=" + profile,
         "http://127.0.0.1:%d/" % server.server_port],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = threading.Timer(seconds, server.shutdown)
    deadline.start()
    server.serve_forever()
    deadline.cancel()
    browser.terminate()
    browser.wait()
    shutil.rmtree(profile)
