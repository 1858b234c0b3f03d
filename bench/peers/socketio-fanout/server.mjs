// bench/ws peer: the channel fan-out hype-signal does, on socket.io v4 (one process, defaults).
// Clients emit ("join", channelId) and get ("joined", {channelId}); POST /publish
// {"channelId","content"} emits ("message", {...}) to the room, answers 201.
import http from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT || 8092);
const host = process.env.BIND_ADDRESS || "127.0.0.1";
let nextId = 1;

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

// socket.io answers /socket.io/ itself and hands every other request to this handler.
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
    const message = {
      id: String(nextId++),
      channelId: p.channelId,
      content: p.content,
      createdAt: new Date().toISOString(),
    };
    io.to(p.channelId).emit("message", message);
    reply(res, 201, { success: true, data: message });
  });
});

const io = new Server(server);
io.on("connection", (socket) => {
  socket.on("join", (channelId) => {
    if (typeof channelId !== "string") return;
    socket.join(channelId);
    socket.emit("joined", { channelId });
  });
});

server.listen(port, host, () => console.log(`socketio-fanout on ${host}:${port}`));
process.on("SIGTERM", () => process.exit(0));
