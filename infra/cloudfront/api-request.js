// CloudFront Function (viewer request) of the API (/v1/*, /sso/*, the console).
// API Gateway sees the edge server's address, not the viewer's; the function passes the
// viewer's on in X-Portway-Viewer-Address, replacing anything the client sent under that
// name. The app believes it only beside the origin header the CDN adds (X-Portway-Origin).
function handler(event) {
  var request = event.request;
  request.headers['x-portway-viewer-address'] = { value: event.viewer.ip };
  return request;
}
