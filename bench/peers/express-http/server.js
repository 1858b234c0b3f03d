// The seeds' stack for bench/http: Express 4 + pg serving the three endpoints the benchmark
// measures, with the SQL hype-api runs (read from bench/http/sql/, the files the benchmark checks
// against hype-api) and the JSON hype-api answers. One process, one pg Pool of DB_POOL_SIZE
// connections, named (prepared) statements, HS256 access tokens verified with jsonwebtoken.
//
// Not a port of hype-api: no rate limiting, metrics, CORS or revocation list (each would only
// slow this peer down), and only the parameters the benchmark uses (limit and offset).
'use strict';

const fs = require('fs');
const path = require('path');
const express = require('express');
const jwt = require('jsonwebtoken');
const { Pool } = require('pg');

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined) {
    console.error(`express-http: ${name} is required`);
    process.exit(1);
  }
  return v;
};
const PORT = Number(env('PORT', '3002'));
const BIND = env('BIND_ADDRESS', '127.0.0.1');
const SECRET = env('JWT_ACCESS_SECRET');
const SQL_DIR = env('BENCH_SQL_DIR', path.join(__dirname, '../../http/sql'));

const pool = new Pool({
  connectionString: env('DATABASE_URL'),
  max: Number(env('DB_POOL_SIZE', '4')),
});

// One statement per file, after its "--" comment lines; named so pg prepares it once per
// connection, as hype-api does.
const stmt = (name) => ({
  name,
  text: fs.readFileSync(path.join(SQL_DIR, `${name}.sql`), 'utf8')
    .split('\n').filter((l) => !l.startsWith('--')).join('\n').trim(),
});
const SQL = Object.fromEntries(['access_channel', 'access_server', 'messages_list_offset',
  'channels_list', 'messages_create'].map((n) => [n, stmt(n)]));
const query = (s, values) => pool.query({ name: s.name, text: s.text, values, rowMode: 'array' });

// Time-ordered ids, hype-id.h's layout: 42 bits of ms since 2024-01-01, 5 node, 5 process and 12
// sequence bits. Node 1 (hype-api in the benchmark is node 0), process 0.
const EPOCH_MS = 1704067200000n;
const GENERATOR = 1n << 5n;
let lastMs = -1n;
let sequence = 0n;
function nextId() {
  let now = BigInt(Date.now()) - EPOCH_MS;
  if (now <= lastMs) {
    now = lastMs;
    sequence = (sequence + 1n) & 4095n;
    if (sequence === 0n) now += 1n;
  } else {
    sequence = 0n;
  }
  lastMs = now;
  return ((now << 22n) | (GENERATOR << 12n) | sequence).toString();
}

// ---- permissions (api-daemon/api-permissions.c); every bit is below 2^29 ----
const VIEW_CHANNEL = 1 << 10;
const SEND_MESSAGES = 1 << 11;
const READ_MESSAGE_HISTORY = 1 << 16;
const ADMINISTRATOR = 1 << 3;
const PERM_ALL = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24,
  25, 26, 27, 28].reduce((a, b) => a | (1 << b), 0);

// The row of access_server / access_channel: who the caller is in that server.
function accessOf(row, userId) {
  const roles = (row[7] || '').split(',').filter(Boolean).map((r) => r.split(':'));
  const a = {
    serverId: row[0],
    isOwner: userId !== null && userId === row[1],
    isMember: row[6],
    everyoneId: row[4],
    roleIds: new Set(roles.map((r) => r[0])),
    userId,
  };
  let perms = Number(row[5]);
  if (a.isMember) for (const r of roles) perms |= Number(r[1]);
  a.permissions = a.isOwner || perms & ADMINISTRATOR ? PERM_ALL : perms;
  return a;
}

function channelPermissions(a, overwrites) {
  if (a.permissions & ADMINISTRATOR) return PERM_ALL;
  let perms = a.permissions;
  let everyone = null;
  let member = null;
  let roleAllow = 0;
  let roleDeny = 0;
  for (const o of (overwrites || '').split(',').filter(Boolean)) {
    const [kind, id, allow, deny] = o.split(':');
    const ow = { allow: Number(allow), deny: Number(deny) };
    if (kind === 'role' && id === a.everyoneId) everyone = ow;
    else if (kind === 'role' && a.isMember && a.roleIds.has(id)) {
      roleAllow |= ow.allow;
      roleDeny |= ow.deny;
    } else if (kind === 'member' && a.isMember && id === a.userId) member = ow;
  }
  if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
  perms = (perms & ~roleDeny) | roleAllow;
  if (member) perms = (perms & ~member.deny) | member.allow;
  return perms & PERM_ALL;
}

// ---- JSON, as hype-api writes it ----
const fail = (res, status, error) => res.status(status).json({ success: false, error });
const time = (ms) => new Date(Number(ms)).toISOString();

// A message row of messages_list_offset or messages_create, columns from 1 (as message_json()).
function messageJson(r) {
  const authorId = r[4];
  return {
    id: r[1],
    content: r[2],
    edited: r[3],
    isEdited: r[3],
    authorId,
    userId: authorId,
    channelId: r[5],
    author: authorId === null ? null : {
      id: authorId,
      username: r[6],
      displayName: r[7],
      avatarUrl: r[8],
      status: r[9],
    },
    reactions: r[12] || [],
    attachments: r[13] || [],
    createdAt: time(r[10]),
    updatedAt: time(r[11]),
  };
}

function channelJson(r) {
  return {
    id: r[0],
    name: r[1],
    type: r[2],
    topic: r[3],
    position: r[4],
    serverId: r[5],
    userLimit: r[6],
    bitrate: r[7],
    server: { id: r[5], name: r[8] },
    createdBy: r[9] === null ? null : { id: r[9], username: r[10] },
    _count: { messages: r[11], voiceStates: Number(r[12]) },
    createdAt: time(r[13]),
    updatedAt: time(r[14]),
  };
}

// ---- auth ----
function bearer(req) {
  const h = req.headers.authorization;
  if (!h || !/^Bearer /i.test(h)) return { error: 'Not authenticated' };
  try {
    const c = jwt.verify(h.slice(7).trim(), SECRET, { algorithms: ['HS256'] });
    if (c.typ !== 'access' || typeof c.sub !== 'string' || typeof c.sid !== 'string') {
      return { error: 'Invalid token' };
    }
    return { userId: c.sub };
  } catch (e) {
    return { error: e.name === 'TokenExpiredError' ? 'Token expired' : 'Invalid token' };
  }
}

const requireAuth = (req, res, next) => {
  const a = bearer(req);
  if (a.error) return fail(res, 401, a.error);
  req.userId = a.userId;
  return next();
};
const optionalAuth = (req, res, next) => {
  const a = req.headers.authorization ? bearer(req) : { userId: null };
  if (a.error) return fail(res, 401, a.error);
  req.userId = a.userId;
  return next();
};

const ID = /^[1-9][0-9]{0,18}$/;
const wrap = (fn) => (req, res) => fn(req, res).catch((e) => {
  console.error(`express-http: ${req.method} ${req.path}: ${e.message}`);
  if (!res.headersSent) fail(res, 500, 'Internal server error');
});

// The channel and the caller's access to it: 404/403 answered here, else the access.
async function loadChannel(res, channelId, userId) {
  if (!ID.test(channelId || '')) return fail(res, 404, 'Channel not found') && null;
  const { rows } = await query(SQL.access_channel, [channelId, userId]);
  if (rows.length !== 1) return fail(res, 404, 'Channel not found') && null;
  if (rows[0][2]) return fail(res, 403, 'Server is blocked') && null;
  const a = accessOf(rows[0], userId);
  a.channelId = rows[0][8];
  a.channelType = rows[0][9];
  a.channelPermissions = channelPermissions(a, rows[0][10]);
  return a;
}

function allowed(res, a, need) {
  if (!a.isMember && !a.isOwner) return fail(res, 403, 'You are not a member of this server') && false;
  if ((a.channelPermissions & need) !== need) return fail(res, 403, 'Missing permissions') && false;
  if (a.channelType === 'VOICE') return fail(res, 400, 'Channel is not a text channel') && false;
  return true;
}

function intParam(v, def, min, max) {
  if (v === undefined) return def;
  if (!/^-?[0-9]+$/.test(v)) return NaN;
  const n = Number(v);
  return n < min || n > max ? NaN : n;
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false); // hype-api sends no ETag; computing one would only cost this peer

app.get('/api/messages', requireAuth, wrap(async (req, res) => {
  const channelId = req.query.channelId;
  if (channelId === undefined) return fail(res, 400, 'channelId is required');
  const limit = intParam(req.query.limit, 50, 1, 100);
  const offset = intParam(req.query.offset, 0, 0, 2147483647);
  if (Number.isNaN(limit) || Number.isNaN(offset)) return fail(res, 400, 'Validation failed');
  const a = await loadChannel(res, channelId, req.userId);
  if (!a || !allowed(res, a, VIEW_CHANNEL | READ_MESSAGE_HISTORY)) return undefined;
  const { rows } = await query(SQL.messages_list_offset, [a.channelId, limit, offset]);
  const data = rows.filter((r) => r[1] !== null).map(messageJson);
  const total = rows.length ? rows[0][0] : 0;
  return res.json({ success: true, data, meta: { total, limit, offset } });
}));

app.get('/api/servers/:serverId/channels', optionalAuth, wrap(async (req, res) => {
  const serverId = req.params.serverId;
  if (!ID.test(serverId)) return fail(res, 404, 'Server not found');
  const acc = await query(SQL.access_server, [serverId, req.userId]);
  if (acc.rows.length !== 1) return fail(res, 404, 'Server not found');
  if (acc.rows[0][2]) return fail(res, 403, 'Server is blocked');
  const a = accessOf(acc.rows[0], req.userId);
  const { rows } = await query(SQL.channels_list, [a.serverId]);
  const data = rows.filter((r) => channelPermissions(a, r[15]) & VIEW_CHANNEL).map(channelJson);
  return res.json({ success: true, data });
}));

app.post('/api/messages', requireAuth, express.json({ limit: '1mb' }), wrap(async (req, res) => {
  const { content, channelId, attachments } = req.body || {};
  if (typeof content !== 'string' || [...content].length < 1 || [...content].length > 2000 ||
      typeof channelId !== 'string' || !ID.test(channelId) ||
      (attachments !== undefined && (!Array.isArray(attachments) || attachments.length > 10))) {
    return fail(res, 400, 'Validation failed');
  }
  const a = await loadChannel(res, channelId, req.userId);
  if (!a || !allowed(res, a, VIEW_CHANNEL | SEND_MESSAGES)) return undefined;
  const att = (attachments || []).map((x, position) => ({
    id: nextId(), position, filename: x.filename, url: x.url, size: x.size, mimeType: x.mimeType,
  }));
  const { rows } = await query(SQL.messages_create,
    [nextId(), a.channelId, req.userId, content, JSON.stringify(att)]);
  return res.status(201).json({ success: true, data: messageJson(rows[0]) });
}));

app.use((req, res) => fail(res, 404, 'Not found'));

const server = app.listen(PORT, BIND, () => console.log(`express-http: listening on ${BIND}:${PORT}`));
server.keepAliveTimeout = 65000;
const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
