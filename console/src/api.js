// The one module that talks to Portway's JSON API: the session's tokens, a refresh when the
// access token ends, and problems turned into errors the screens read by their `type` and
// fields (never by their text).

const REFRESH_KEY = "portway.console.refresh";
let access = null;
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.kind = (problem.type || "").replace("urn:portway:problem:", "") || "unknown";
  }
}

export class Offline extends Error {}

export function signedIn() {
  return access !== null || sessionStorage.getItem(REFRESH_KEY) !== null;
}

export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export function keep(session) {
  access = session.access_token;
  if (session.refresh_token) sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
}

export function forget() {
  access = null;
  sessionStorage.removeItem(REFRESH_KEY);
}

/** A file sent as it is, with its type (`text/csv`, an Excel workbook, ...). */
export class Raw {
  constructor(data, type) {
    this.data = data;
    this.type = type;
  }
}

async function send(method, path, body, token, extra = {}) {
  const headers = { Accept: "application/json", ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof Raw) {
    headers["Content-Type"] = body.type;
    payload = body.data;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "omit" });
  } catch {
    throw new Offline();
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data || {});
  return data;
}

let refreshing = null;

async function refresh() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return false;
  refreshing ??= send("POST", "/v1/team/sessions/refresh", { refresh_token: token })
    .then((session) => {
      keep(session);
      return true;
    })
    .catch((error) => {
      if (error instanceof ApiError) forget();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** A call as the signed-in person; an ended access token is refreshed once. */
export async function call(method, path, body, headers = {}) {
  if (access === null && !(await refresh())) {
    onSignedOut();
    throw new ApiError(401, { type: "urn:portway:problem:unauthorized" });
  }
  try {
    return await send(method, path, body, access, headers);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    access = null;
    if (!(await refresh())) {
      onSignedOut();
      throw error;
    }
    return send(method, path, body, access, headers);
  }
}

/** A call without a session (signing in, joining, resets). */
export function anonymous(method, path, body) {
  return send(method, path, body, null);
}

/** A file the API answers (an Excel protocol), saved by the browser under `name`. */
export async function download(path, type, name) {
  const attempt = async () => {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: type, Authorization: `Bearer ${access}` }, credentials: "omit" });
    } catch {
      throw new Offline();
    }
    if (!response.ok) {
      const text = await response.text();
      throw new ApiError(response.status, text ? JSON.parse(text) : {});
    }
    return response.blob();
  };
  if (access === null && !(await refresh())) throw new ApiError(401, {});
  let blob;
  try {
    blob = await attempt();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !(await refresh())) throw error;
    blob = await attempt();
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body);
export const put = (path, body) => call("PUT", path, body);
export const del = (path) => call("DELETE", path);

export async function signOut() {
  try {
    if (access !== null) await send("DELETE", "/v1/team/sessions", undefined, access);
  } catch {
    // Signed out here either way: the tokens are forgotten.
  }
  forget();
}
