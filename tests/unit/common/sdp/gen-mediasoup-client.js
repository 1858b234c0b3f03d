/* Bundled with esbuild into the page gen-mediasoup-client.py serves to headless Chromium:
 * mediasoup-client 3.24.1 publishes fake audio and video (simulcast) through a send transport
 * and consumes audio and video through a recv transport, against made-up server parameters
 * (nothing answers on the network). Every description set on a peer connection is recorded;
 * the ones mediasoup-client writes for the server side are posted back as fixtures. */
import { Device } from 'mediasoup-client';

import { transportOptions } from './fake-transport.js';

const described = [];
for (const method of ['setLocalDescription', 'setRemoteDescription']) {
  const original = RTCPeerConnection.prototype[method];
  RTCPeerConnection.prototype[method] = function (description) {
    if (description)
      described.push({ pc: this, method, type: description.type, sdp: description.sdp });
    return original.apply(this, arguments);
  };
}

const ext = (uri, id) => ({ uri, preferredId: id, preferredEncrypt: false, direction: 'sendrecv' });
const URI = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  abs: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  tcc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  level: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  rrid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
};
const routerRtpCapabilities = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: 100, clockRate: 48000,
      channels: 2, rtcpFeedback: [{ type: 'nack' }, { type: 'transport-cc' }] },
    { kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 101, clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' },
                     { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' },
                     { type: 'transport-cc' }] },
    { kind: 'video', mimeType: 'video/rtx', preferredPayloadType: 102, clockRate: 90000,
      parameters: { apt: 101 } },
  ],
  headerExtensions: [
    { kind: 'audio', ...ext(URI.mid, 1) }, { kind: 'video', ...ext(URI.mid, 1) },
    { kind: 'video', ...ext(URI.rid, 2) }, { kind: 'video', ...ext(URI.rrid, 3) },
    { kind: 'audio', ...ext(URI.abs, 4) }, { kind: 'video', ...ext(URI.abs, 4) },
    { kind: 'audio', ...ext(URI.tcc, 5) }, { kind: 'video', ...ext(URI.tcc, 5) },
    { kind: 'audio', ...ext(URI.level, 10) },
  ],
};

const consumer = (id, kind, codecs, encodings, headerExtensions) => ({
  id, producerId: 'p' + id, kind,
  rtpParameters: { codecs, encodings, headerExtensions,
                   rtcp: { cname: 'wB4Ql4lrsxYLjzuN', reducedSize: true, mux: true } },
});

async function post(name, text) {
  await fetch('/save/' + name, { method: 'POST', body: text });
}

async function publish(device, stream) {
  const send = device.createSendTransport(transportOptions('send'));
  send.on('connect', (_, done) => done());
  send.on('produce', ({ kind }, done) => done({ id: kind }));
  await send.produce({ track: stream.getAudioTracks()[0] });
  await send.produce({
    track: stream.getVideoTracks()[0],
    encodings: [{ scaleResolutionDownBy: 4 }, { scaleResolutionDownBy: 2 }, {}],
  });
  return send.handler._pc;
}

async function subscribe(device) {
  const recv = device.createRecvTransport(transportOptions('recv'));
  recv.on('connect', (_, done) => done());
  await recv.consume(consumer('a1', 'audio',
    [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2,
       rtcpFeedback: [{ type: 'transport-cc' }], parameters: { useinbandfec: 1 } }],
    [{ ssrc: 46687003 }],
    [{ uri: URI.mid, id: 1 }, { uri: URI.tcc, id: 5 }, { uri: URI.level, id: 10 }]));
  await recv.consume(consumer('v1', 'video',
    [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000,
       rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' },
                      { type: 'ccm', parameter: 'fir' }, { type: 'transport-cc' }] },
     { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } }],
    [{ ssrc: 912345678, rtx: { ssrc: 912345679 }, scalabilityMode: 'L3T3' }],
    [{ uri: URI.mid, id: 1 }, { uri: URI.abs, id: 4 }, { uri: URI.tcc, id: 5 }]));
  return recv.handler._pc;
}

/* mediasoup-client negotiates its "probator" section after consume() has resolved: wait until
   pc has answered every offer. */
async function settled(pc) {
  const count = (method) => described.filter((d) => d.pc === pc && d.method === method).length;
  while (pc.signalingState !== 'stable' || count('setLocalDescription') < count('setRemoteDescription'))
    await new Promise((done) => setTimeout(done, 50));
}

/* The last description of this kind set on pc. */
const last = (pc, method) => described.filter((d) => d.pc === pc && d.method === method).pop().sdp;

async function main() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const device = new Device({ handlerName: 'Chrome111' });
  await device.load({ routerRtpCapabilities });
  const sendPc = await publish(device, stream);
  await post('mediasoup-client-answer.sdp', last(sendPc, 'setRemoteDescription'));
  await post('mediasoup-client-publish-offer.sdp', last(sendPc, 'setLocalDescription'));
  const recvPc = await subscribe(device);
  await settled(recvPc);
  await post('mediasoup-client-offer.sdp', last(recvPc, 'setRemoteDescription'));
  await post('chromium-answer-mediasoup-client-offer.sdp', last(recvPc, 'setLocalDescription'));
}

main().then(() => post('done', 'ok'), (e) => post('done', 'error: ' + e + ' ' + e.stack));
