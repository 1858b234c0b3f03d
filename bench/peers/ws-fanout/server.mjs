// bench/ws peer: the channel fan-out hype-signal does, on the ws package (one process, defaults).
// Clients send {"type":"join","data":{"channelId"}} and get {"type":"joined"}; POST /publish
// {"channelId","content"} sends {"type":"message","data":{...}} to every member, answers 201.
import http from "node:http";
import { WebSocketServer, WebSocket } from "ws";

const port = Number(process.env.PORT || 8091);
const host = process.env.BIND_ADDRESS || "127.0.0.1";
const channels = new Map(); // channelId -> Set of sockets
let nextId = 1;

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") return reply(res, 200, { ok: true });
  if (req.method !== "POST" || req.url !== "/publish") return reply(res, 404, { error: "Not found" });
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    let p;
    try {
      p = JSON.parse(body);
    } catch {
      return reply(res, 400, { error: "Invalid JSON" });
    }
    if (typeof p?.channelId !== "string" || typeof p?.content !== "string")
      return reply(res, 400, { error: "channelId and content are required" });
    const createdAt = new Date().toISOString();
    const message = { id: String(nextId++), channelId: p.channelId, content: p.content, createdAt };
    // Serialized once, as hype-signal serializes an event once for all subscribers.
    const frame = JSON.stringify({ type: "message", data: message, timestamp: createdAt });
    for (const ws of channels.get(p.channelId) ?? [])
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    reply(res, 201, { success: true, data: message });
  });
});

const wss = new WebSocketServer({ server });
wss.on("connection", (ws) => {
  const joined = new Set();
  ws.on("message", (data) => {
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    const channelId = f?.data?.channelId;
    if (f?.type !== "join" || typeof channelId !== "string") return;
    if (!channels.has(channelId)) channels.set(channelId, new Set());
    channels.get(channelId).add(ws);
    joined.add(channelId);
    ws.send(JSON.stringify({ type: "joined", data: { channelId }, timestamp: new Date().toISOString() }));
  });
  ws.on("close", () => {
    for (const c of joined) channels.get(c)?.delete(ws);
  });
});

server.listen(port, host, () => console.log(`ws-fanout on ${host}:${port}`));
process.on("SIGTERM", () => process.exit(0));
