// node-media-server (the npm package, a Node.js RTMP server with HTTP-FLV) on loopback ports.
// Usage: node server.js MODULES_FOLDER RTMP_PORT HTTP_PORT
const [modules, rtmpPort, httpPort] = process.argv.slice(2);
const NodeMediaServer = require(`${modules}/node_modules/node-media-server`);

const server = new NodeMediaServer({
  logType: 2,  // errors and the publish/play lines the tests read
  rtmp: { port: Number(rtmpPort), chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 },
  http: { port: Number(httpPort), host: '127.0.0.1', allow_origin: '*', mediaroot: '/nonexistent' },
});
server.run();
console.log('serving');
