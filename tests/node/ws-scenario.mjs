// The npm `ws` client against hype-signal's raw protocol: auth frame, subscription, a REST
// message delivered live, and a resume after the connection drops.
// Environment: SIGNAL_WS (ws://host:port), API_URL, TOKEN. Exits 1 on the first failed check.
import assert from "node:assert/strict";
import WebSocket from "ws";

const { SIGNAL_WS, API_URL, TOKEN } = process.env;

function open(url) {
  const ws = new WebSocket(url);
  const queue = [];
  const waiters = [];
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    const w = waiters.findIndex((x) => x.type === frame.type);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(frame);
    else queue.push(frame);
  });
  ws.next = (type, ms = 5000) => {
    const i = queue.findIndex((f) => f.type === type);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      waiters.push({ type, resolve });
      setTimeout(() => reject(new Error(`no "${type}" within ${ms} ms`)), ms);
    });
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

async function post(content) {
  const r = await fetch(`${API_URL}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ channelId: "1", content }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text).data;
}

const ws = await open(`${SIGNAL_WS}/ws`);
ws.send(JSON.stringify({ type: "auth", data: { token: TOKEN } }));
const ready = await ws.next("ready");
ws.send(JSON.stringify({ type: "user_joined", data: { channelId: "1" } }));
await ws.next("user_joined");
const first = await post("node ws live");
const got = await ws.next("message");
assert.equal(got.data.id, first.id);

// The connection drops (no close frame); two messages are posted meanwhile; resume gets both.
ws._socket.destroy();
await new Promise((r) => setTimeout(r, 300));
const missed = [await post("missed 1"), await post("missed 2")];
const again = await open(`${SIGNAL_WS}/ws?token=${TOKEN}&sessionId=${ready.data.sessionId}&seq=${got.seq}`);
const m1 = await again.next("message");
const m2 = await again.next("message");
const resumed = await again.next("resumed");
assert.deepEqual([m1.data.id, m2.data.id], missed.map((m) => m.id));
assert.deepEqual([m1.seq, m2.seq], [got.seq + 1, got.seq + 2]);
assert.equal(resumed.data.replayed, 2);
again.close(1000);
console.log("all ok");
process.exit(0);
