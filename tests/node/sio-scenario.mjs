// The real socket.io-client v4 (npm), with its default options, against hype-signal: every
// event of the gateway, 1:1 calls (seed 004), the seed 001 namespace "/socket" and its mesh
// relay, refusals.
// Environment: SIGNAL_URL, API_URL, TOKEN_A, TOKEN_B, USER_A, USER_B. Exits 1 on the first
// failed check, printing what failed.
import assert from "node:assert/strict";
import { io } from "socket.io-client";

const { SIGNAL_URL, API_URL, TOKEN_A, TOKEN_B, USER_A, USER_B } = process.env;
const GENERAL = "1";
const VOICE = "3";

function once(socket, event, where = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    function handler(...args) {
      if (!where(...args)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(args);
    }
    socket.on(event, handler);
  });
}

function none(socket, event, ms = 400) {
  return new Promise((resolve, reject) => {
    const handler = (...args) => reject(new Error(`unexpected "${event}": ${JSON.stringify(args)}`));
    socket.on(event, handler);
    setTimeout(() => {
      socket.off(event, handler);
      resolve();
    }, ms);
  });
}

async function connect(path, token, opts = {}) {
  const socket = io(SIGNAL_URL + path, { auth: { token }, reconnection: false, ...opts });
  const ready = once(socket, "ready");
  await once(socket, "connect");
  const [data] = await ready;
  return { socket, ready: data };
}

async function post(token, body) {
  const r = await fetch(`${API_URL}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text).data;
}

const step = async (name, fn) => {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stack || e}`);
    process.exit(1);
  }
};

// Default options: long-polling first, then the upgrade to WebSocket.
const a = await connect("/", TOKEN_A);
const b = await connect("/", TOKEN_B, { transports: ["websocket"] });

await step("socket.id is the session id; ready names the user", async () => {
  assert.equal(a.socket.id, a.ready.sessionId);
  assert.equal(b.socket.id, b.ready.sessionId);
  assert.equal(a.ready.user.id, USER_A);
  assert.ok(a.ready.servers.includes("1"));
});

await step("the default client upgrades from polling to websocket", async () => {
  const engine = a.socket.io.engine;
  if (engine.transport.name !== "websocket") await once(engine, "upgrade");
  assert.equal(engine.transport.name, "websocket");
});

await step("user_joined subscribes, with an ack", async () => {
  for (const c of [a, b]) {
    const joined = once(c.socket, "user_joined", (d) => d.channelId === GENERAL && d.userId === c.ready.user.id);
    const ack = await c.socket.timeout(5000).emitWithAck("user_joined", { channelId: GENERAL });
    assert.equal(ack.ok, true);
    assert.equal(ack.data.channelId, GENERAL);
    assert.equal(ack.data.serverId, "1");
    await joined;
  }
});

await step("an ack carries the outcome once it is known, failures included", async () => {
  // The API refuses: the ack says so (and no separate error event is needed to learn it).
  const bad = await a.socket.timeout(5000).emitWithAck("message", { content: "no channel" });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 400);
  assert.ok(bad.error.message.length > 0);
  assert.ok(Array.isArray(bad.error.details) && bad.error.details.some((d) => d.path.includes("channelId")));
  const denied = await a.socket.timeout(5000).emitWithAck("user_joined", { channelId: "123456789012" });
  assert.deepEqual([denied.ok, denied.error.code, denied.error.channelId], [false, 404, "123456789012"]);
  const unknown = await a.socket.timeout(5000).emitWithAck("no-such-op", {});
  assert.deepEqual([unknown.ok, unknown.error.code], [false, 400]);
  const again = await a.socket.timeout(5000).emitWithAck("auth", { token: TOKEN_A });
  assert.deepEqual([again.ok, again.error.code, again.error.message], [false, 409, "Already authenticated"]);
  // Success carries what was made: the persisted message, after it was persisted.
  const ok = await a.socket.timeout(5000).emitWithAck("message", { channelId: GENERAL, content: "acked" });
  assert.equal(ok.ok, true);
  assert.equal(ok.data.content, "acked");
  const r = await fetch(`${API_URL}/api/messages/${ok.data.id}`, { headers: { Authorization: `Bearer ${TOKEN_A}` } });
  assert.equal(r.status, 200);
});

await step("a REST message arrives live", async () => {
  const got = once(b.socket, "message", (m) => m.content === "rest to sio");
  const sent = await post(TOKEN_A, { channelId: GENERAL, content: "rest to sio" });
  const [m] = await got;
  assert.equal(m.id, sent.id);
  assert.equal(m.author.id, USER_A);
});

await step("typing reaches the other subscriber only", async () => {
  const got = once(b.socket, "typing");
  const quiet = none(a.socket, "typing");
  a.socket.emit("typing", { channelId: GENERAL });
  const [t] = await got;
  assert.equal(t.userId, USER_A);
  await quiet;
});

await step("a message emitted over Socket.IO is persisted and delivered", async () => {
  const ack = once(a.socket, "message_ack", (d) => d.nonce === "sio-1");
  const got = once(b.socket, "message", (m) => m.content === "from socket.io");
  a.socket.emit("message", { channelId: GENERAL, content: "from socket.io", nonce: "sio-1" });
  const [{ message }] = await ack;
  const [m] = await got;
  assert.equal(m.id, message.id);
  const r = await fetch(`${API_URL}/api/messages/${m.id}`, { headers: { Authorization: `Bearer ${TOKEN_B}` } });
  assert.equal(r.status, 200);
});

await step("voice_state is shared with the server", async () => {
  const got = once(b.socket, "voice_state", (v) => v.userId === USER_A && v.channelId === VOICE);
  a.socket.emit("voice_state", { channelId: VOICE, isMuted: false, isDeafened: true });
  const [v] = await got;
  assert.equal(v.isDeafened, true);
  const left = once(b.socket, "voice_state", (v) => v.userId === USER_A && v.channelId === null);
  a.socket.emit("voice_state", { channelId: null });
  await left;
});

await step("errors come back as events", async () => {
  const err = once(a.socket, "error", (e) => e.code === 404);
  a.socket.emit("user_joined", { channelId: "123456789012" });
  await err;
});

await step("a 1:1 call: call:incoming, acked call ops, the webrtc relay, call:ended", async () => {
  const incoming = once(b.socket, "call:incoming");
  const r = await fetch(`${API_URL}/api/calls`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN_A}` },
    body: JSON.stringify({ calleeId: USER_B }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  const { callId } = JSON.parse(text).data;
  const [inc] = await incoming;
  assert.deepEqual([inc.callId, inc.callerId, inc.calleeId], [callId, USER_A, USER_B]);
  // A session of the callee that connects while it rings is rung too (polling, then upgraded).
  const late = io(SIGNAL_URL, { auth: { token: TOKEN_B }, reconnection: false });
  const [lateInc] = await once(late, "call:incoming");
  assert.deepEqual([lateInc.callId, lateInc.from], [callId, inc.from]);
  const elsewhere = once(late, "call:accepted_elsewhere");
  // Refusals come back in the ack: the caller cannot answer, an unknown call is not found.
  const own = await a.socket.timeout(5000).emitWithAck("call:accept", { callId });
  assert.deepEqual([own.ok, own.error.code], [false, 403]);
  const unknown = await b.socket.timeout(5000).emitWithAck("call:accept", { callId: "123456789012" });
  assert.deepEqual([unknown.ok, unknown.error.code, unknown.error.message], [false, 404, "Call not found"]);
  const accepted = once(a.socket, "call:accept");
  const ack = await b.socket.timeout(5000).emitWithAck("call:accept", { callId });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  const [acc] = await accepted;
  assert.deepEqual([acc.callId, acc.calleeId], [callId, USER_B]);
  const twice = await b.socket.timeout(5000).emitWithAck("call:accept", { callId });
  assert.deepEqual([twice.ok, twice.error.code], [false, 409]);
  const [els] = await elsewhere;
  assert.equal(els.callId, callId);
  const taken = await late.timeout(5000).emitWithAck("call:accept", { callId });
  assert.deepEqual([taken.ok, taken.error.code], [false, 409]);
  late.close();
  // webrtc:* reach the other side as sent, with who sent them.
  const offer = once(b.socket, "webrtc:offer");
  const sent = await a.socket.timeout(5000).emitWithAck("webrtc:offer", { callId, sdp: "v=0 sio call" });
  assert.equal(sent.ok, true, JSON.stringify(sent));
  const [o] = await offer;
  assert.deepEqual(o, { callId, sdp: "v=0 sio call", from: USER_A });
  const candidate = { candidate: "candidate:1 1 udp 2130706431 10.77.0.2 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
  const cand = once(a.socket, "webrtc:ice-candidate");
  b.socket.emit("webrtc:ice-candidate", { callId, candidate });
  const [c] = await cand;
  assert.deepEqual([c.callId, c.candidate, c.from], [callId, candidate, USER_B]);
  // The caller hangs up: both sides hear it, and the relay is closed.
  const endedA = once(a.socket, "call:ended");
  const endedB = once(b.socket, "call:ended");
  const end = await a.socket.timeout(5000).emitWithAck("call:end", { callId });
  assert.equal(end.ok, true, JSON.stringify(end));
  for (const [e] of [await endedA, await endedB])
    assert.deepEqual([e.callId, e.status, e.reason, e.endedBy], [callId, "ended", "hangup", USER_A]);
  const after = await a.socket.timeout(5000).emitWithAck("webrtc:offer", { callId, sdp: "v=0 too late" });
  assert.deepEqual([after.ok, after.error.code], [false, 404]);
  const got = await fetch(`${API_URL}/api/calls/${callId}`, { headers: { Authorization: `Bearer ${TOKEN_B}` } });
  const call = (await got.json()).data;
  assert.deepEqual([call.status, call.endReason, call.endedBy], ["ended", "hangup", USER_A]);
});

await step("a bad token is a connect_error Unauthorized", async () => {
  const s = io(SIGNAL_URL, { auth: { token: "nope" }, reconnection: false });
  const [err] = await once(s, "connect_error");
  assert.equal(err.message, "Unauthorized");
  s.close();
});

await step("a revoked token is a connect_error Unauthorized, never a connect", async () => {
  for (const transports of [["polling"], ["websocket"]]) {
    const s = io(SIGNAL_URL, { auth: { token: process.env.TOKEN_REVOKED }, reconnection: false, transports });
    const quiet = none(s, "ready", 600);
    const connected = none(s, "connect", 600);
    const [err] = await once(s, "connect_error");
    assert.equal(err.message, "Unauthorized");
    await quiet;
    await connected;
    s.close();
  }
});

await step("seed 001's /socket namespace relays between room members", async () => {
  const c1 = await connect("/socket", TOKEN_A);
  const c2 = await connect("/socket", TOKEN_B, { transports: ["websocket"] });
  const created1 = once(c1.socket, "created");
  c1.socket.emit("join-room", "room-sio", TOKEN_A);
  const [{ roomId, participants }] = await created1;
  assert.equal(roomId, "room-sio");
  assert.deepEqual(participants.map((p) => p.socketId), [c1.socket.id]);
  const connected = once(c1.socket, "user-connected");
  const created2 = once(c2.socket, "created");
  c2.socket.emit("join-room", "room-sio", TOKEN_B);
  await created2;
  const [{ socketId, userData }] = await connected;
  assert.equal(socketId, c2.socket.id);
  assert.equal(userData.id, USER_B);
  const sig = once(c2.socket, "signal");
  c1.socket.emit("signal", { to: c2.socket.id, type: "offer", sdp: "v=0 sio" });
  const [s] = await sig;
  assert.deepEqual([s.from, s.type, s.sdp], [c1.socket.id, "offer", "v=0 sio"]);
  const gone = once(c1.socket, "user-disconnected");
  c2.socket.disconnect();
  const [id] = await gone;
  assert.equal(id, c2.socket.id ?? id);
  c1.socket.disconnect();
});

a.socket.disconnect();
b.socket.disconnect();
console.log("all ok");
process.exit(0);
