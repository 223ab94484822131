// CloudFront Function (viewer request) of the hosted pages behind the CDN.
// A page's address names its language and variant in the query (`?language=de&portal=...`)
// or not at all (the browser's Accept-Language, then the tenant's default). The stored copy
// names both in its key, so the address becomes the key and the cache key is the path alone:
//   /p/acme/portal?portal=prt_1&language=de  ->  /site/p/acme/portal/prt_1/de
//   /p/acme/signup/var_1                      ->  /site/p/acme/signup/var_1/<language>
// A path that names no page stays as it is; a logo is asked for as the PNG it is, so that
// API Gateway answers it as binary when the function serves it.
var LANGUAGES = ['en', 'de', 'da'];
var SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
var NAME = /^[a-z-]{1,40}$/;
var VARIANT = /^[A-Za-z0-9_-]{1,64}$/;

function preferred(header) {
  // The language we speak that the browser ranks highest; q=0 means "not this one".
  var best = null;
  var bestWeight = 0;
  var parts = header.split(',').slice(0, 20);
  for (var i = 0; i < parts.length; i++) {
    var fields = parts[i].trim().split(';');
    var primary = fields[0].trim().toLowerCase().split('-')[0];
    var weight = 1;
    for (var j = 1; j < fields.length; j++) {
      var pair = fields[j].trim().split('=');
      if (pair[0].trim() === 'q') {
        weight = parseFloat(pair[1]);
        if (isNaN(weight)) weight = 0;
      }
    }
    if (LANGUAGES.indexOf(primary) >= 0 && weight > bestWeight) {
      best = primary;
      bestWeight = weight;
    }
  }
  return best;
}

function language(request) {
  var asked = request.querystring.language;
  if (asked && LANGUAGES.indexOf(asked.value) >= 0) return asked.value;
  var header = request.headers['accept-language'];
  return (header && preferred(header.value)) || 'default';
}

function handler(event) {
  var request = event.request;
  var parts = request.uri.split('/');
  // ['', 'p', slug, page] or ['', 'p', slug, 'signup', variant] or a logo
  if (parts[1] !== 'p' || !SLUG.test(parts[2] || '')) return request;
  if (parts[3] === 'logos') {
    request.headers.accept = { value: 'image/png' };
    return request;
  }
  var page = parts[3] || '';
  var variant = '_';
  if (page === 'signup' && parts.length === 5) {
    variant = parts[4];
  } else if (parts.length !== 4) {
    return request;
  } else if (request.querystring.portal) {
    variant = request.querystring.portal.value;
  }
  if (!NAME.test(page) || !VARIANT.test(variant)) return request;
  request.uri = '/site/p/' + parts[2] + '/' + page + '/' + variant + '/' + language(request);
  request.querystring = {};
  return request;
}
