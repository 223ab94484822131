// CloudFront Function (viewer response) of everything the CDN serves from the bucket.
// A stored page carries its headers as object metadata (x-amz-meta-*): they become the
// response's headers, and S3's own headers go. An HTML answer without a CSP gets one that
// allows nothing and no framing, so no page is ever framable by accident (the function's own
// answers, the CDN's fallback, carry theirs; scripts and the map's worker need none).
var NO_FRAMING = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
var FROM_METADATA = {
  'x-amz-meta-content-security-policy': 'content-security-policy',
  'x-amz-meta-x-content-type-options': 'x-content-type-options',
  'x-amz-meta-referrer-policy': 'referrer-policy',
  'x-amz-meta-cross-origin-resource-policy': 'cross-origin-resource-policy'
};

function handler(event) {
  var headers = event.response.headers;
  var names = Object.keys(headers);
  for (var i = 0; i < names.length; i++) {
    var name = names[i];
    if (FROM_METADATA[name]) headers[FROM_METADATA[name]] = { value: headers[name].value };
    if (name.indexOf('x-amz-') === 0) delete headers[name];
  }
  var type = headers['content-type'] ? headers['content-type'].value : '';
  if (!headers['content-security-policy'] && (type === '' || type.indexOf('text/html') === 0)) {
    headers['content-security-policy'] = { value: NO_FRAMING };
  }
  if (!headers['x-content-type-options']) headers['x-content-type-options'] = { value: 'nosniff' };
  return event.response;
}
