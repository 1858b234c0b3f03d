/* What the mediasoup-client fixture generators (gen-mediasoup-client.js,
 * ../../signal-daemon/ortc/gen-ortc.js) give createSendTransport()/createRecvTransport(): made-up
 * server parameters in the shape of mediasoup-client's own fake ones (ICE-lite, DTLS role auto);
 * nothing answers on the network, which produce() and consume() do not need. */
export const transportOptions = (id) => ({
  id,
  iceParameters: { usernameFragment: 'h3hk1iz6qqlnqlne', password: 'yku5ej8nvfaor28lvtrabcx0wkrpkztz',
                   iceLite: true },
  iceCandidates: [{ foundation: 'udpcandidate', address: '10.77.0.1', ip: '10.77.0.1', port: 40533,
                    priority: 1078862079, protocol: 'udp', type: 'host' }],
  dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value:
    'A9:F4:E0:D2:74:D3:0F:D9:AC:EF:B0:C0:3F:8D:6A:8E:4F:C2:4C:B1:0E:73:7A:DD:22:D0:FF:6F:8E:71:5C:3A' }] },
});
