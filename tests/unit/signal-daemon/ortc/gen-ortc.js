/* Bundled with esbuild into the page gen-ortc.py serves to headless Chromium: mediasoup-client
 * 3.24.1 loads signal-ortc's router capabilities (GET /caps), produces fake audio, VP8 video,
 * simulcast VP8 video and H264 video (when Chromium encodes it) through a send transport, and
 * consumes each through a recv transport with the consumer parameters signal-ortc builds for
 * this device (POST /consume-<kind>-<mid>), against made-up server transport parameters:
 * produce() and consume() only build local SDP and set it on Chromium's peer connection,
 * nothing answers on the network. Posts back the device's rtpCapabilities, each produce's
 * rtpParameters, each consumer's parameters, and a summary of what mediasoup-client accepted. */
import { Device } from 'mediasoup-client';

import { transportOptions } from '../../common/sdp/fake-transport.js';

const json = (o) => JSON.stringify(o, null, 2) + '\n';

async function post(name, text) {
  const r = await fetch('/save/' + name, { method: 'POST', body: text });
  return r.status === 200 ? r.text() : null;
}

async function main() {
  const summary = { load: false, produce: {}, consume: {} };
  const caps = await (await fetch('/caps')).json();
  const device = new Device({ handlerName: 'Chrome111' });
  await device.load({ routerRtpCapabilities: caps });
  summary.load = true;
  await post('mediasoup-client-device-rtp-capabilities.json', json(device.rtpCapabilities));

  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const send = device.createSendTransport(transportOptions('send'));
  const produced = {};
  send.on('connect', (_, done) => done());
  send.on('produce', ({ kind, rtpParameters }, done) => { produced.last = { kind, rtpParameters }; done({ id: kind }); });
  const publish = async (name, options) => {
    await send.produce(options);
    produced[name] = produced.last;
    summary.produce[name] = true;
    await post('mediasoup-client-produce-' + name + '.json', json(produced.last.rtpParameters));
  };
  await publish('audio', { track: stream.getAudioTracks()[0] });
  await publish('video', { track: stream.getVideoTracks()[0].clone() });
  await publish('video-simulcast', {
    track: stream.getVideoTracks()[0].clone(),
    encodings: [{ scaleResolutionDownBy: 4 }, { scaleResolutionDownBy: 2 }, {}],
  });

  /* H264 (constrained baseline, the router's) when this Chromium can encode it */
  const h264 = device.rtpCapabilities.codecs.find((c) => c.mimeType.toLowerCase() === 'video/h264');
  try {
    await publish('video-h264', { track: stream.getVideoTracks()[0].clone(), codec: h264 });
  } catch (e) {
    summary.produce['video-h264'] = String(e);
  }

  const recv = device.createRecvTransport(transportOptions('recv'));
  recv.on('connect', (_, done) => done());
  let mid = 0;
  for (const name of ['audio', 'video', 'video-simulcast', 'video-h264']) {
    if (!produced[name])
      continue;
    const { kind, rtpParameters } = produced[name];
    const body = JSON.stringify({ rtpParameters, rtpCapabilities: device.rtpCapabilities });
    const r = await fetch(`/consume-${kind}-${mid++}`, { method: 'POST', body });
    const options = await r.json();
    await post('hype-consumer-' + name + '.json', json(options));
    options.id = 'c-' + name;
    options.producerId = 'p-' + name;
    const consumer = await recv.consume(options);
    summary.consume[name] = consumer.rtpReceiver ? consumer.track.readyState : 'no receiver';
  }
  await post('mediasoup-client-accepted.json', json(summary));
}

main().then(() => post('done', 'ok'), (e) => post('done', 'error: ' + e + ' ' + e.stack));
