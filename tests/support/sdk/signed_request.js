// Sends one API request signed by the cloud vendor's own SDK signer (AKSKSigner from
// @huaweicloud/huaweicloud-sdk-core), exactly as an SDK client would, and prints
// {"status": ..., "type": ..., "body": ...}.
// Usage: node signed_request.js MODULES_FOLDER METHOD URL BODY_JSON AK SK [X_SDK_DATE]
//        [SENT_BODY_JSON] [EXTRA_HEADERS_JSON] [SIGNED_HEADERS_JSON]
// SENT_BODY_JSON, when given, is sent instead of the signed body (a tampered request);
// EXTRA_HEADERS_JSON adds headers after signing (unsigned ones an attacker could add);
// SIGNED_HEADERS_JSON adds headers before signing, as an SDK does with X-Project-Id.
const http = require('http');

const [modules, method, url, bodyText, ak, sk, sdkDate, sentBodyText, extraHeadersText,
  signedHeadersText] = process.argv.slice(2);
const { AKSKSigner } = require(`${modules}/node_modules/@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner`);
const target = new URL(url);
const queryParams = {};
target.searchParams.forEach((value, key) => { queryParams[key] = value; });
const data = bodyText ? JSON.parse(bodyText) : undefined;
const request = {
  method,
  endpoint: `${target.protocol}//${target.host}${target.pathname}`,
  headers: data ? { 'Content-Type': 'application/json' } : {},
  queryParams,
  data,
};
if (sdkDate) request.headers['X-Sdk-Date'] = sdkDate;
Object.assign(request.headers, signedHeadersText ? JSON.parse(signedHeadersText) : {});
const headers = AKSKSigner.sign(request, { getAk: () => ak, getSk: () => sk });
Object.assign(headers, extraHeadersText ? JSON.parse(extraHeadersText) : {});
const payload = sentBodyText !== undefined && sentBodyText !== '' ? sentBodyText
  : (data ? JSON.stringify(data) : undefined);
const req = http.request({
  method, host: target.hostname, port: target.port, path: target.pathname + target.search, headers,
}, (res) => {
  let text = '';
  res.on('data', (chunk) => { text += chunk; });
  res.on('end', () => console.log(JSON.stringify({
    status: res.statusCode, type: res.headers['content-type'] || '', body: text,
  })));
});
req.on('error', (error) => console.log(JSON.stringify({ status: 0, body: String(error) })));
if (payload) req.write(payload);
req.end();
