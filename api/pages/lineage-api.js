// GraphQL calls of the lineage explorer: the bearer token, the two queries, typed failures.
//
// The token lives only in this tab's sessionStorage and is sent only in the Authorization
// header to this server's /graphql (same origin, relative to the page so a path prefix works).

const TOKEN_KEY = "irs.lineage.token";
const ENDPOINT = new URL("graphql", document.baseURI).href;

export const SEARCH_QUERY = `query LineageSearch($text: String!, $first: Int) {
  search(text: $text, first: $first) {
    edges { node { __typename ... on Resource { id code name } } }
  }
}`;

export const LINEAGE_QUERY = `query Lineage($id: ID!, $direction: LineageDirection, $depth: Int, $asOf: DateTime) {
  lineage(id: $id, direction: $direction, depth: $depth, asOf: $asOf) {
    __typename
    ... on LineageGraph {
      truncated
      limit
      root { __typename id ... on Resource { code name } }
      nodes { depth node { __typename id ... on Resource { code name } } }
      edges { sourceId targetId type job since until }
    }
    ... on Problem { code message messageEn }
  }
}`;

export const ME_QUERY = `query LineageMe { me { name role } }`;

/** A failure worth showing: Chinese and English text, and whether the token was refused. */
export class ApiError extends Error {
  constructor(message, messageEn, { code = "", unauthenticated = false } = {}) {
    super(messageEn || message);
    this.zh = message;
    this.en = messageEn;
    this.code = code;
    this.unauthenticated = unauthenticated;
  }
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

export function setToken(value) {
  const token = String(value || "").trim().replace(/^bearer\s+/i, "").trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  return token;
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

function fromErrors(errors) {
  const first = errors[0] || {};
  const ext = first.extensions || {};
  const text = first.message || "";
  const missing = /Cannot query field ["']lineage["']|Unknown type ["']Lineage/;
  if (errors.some((e) => missing.test((e && e.message) || ""))) {
    return new ApiError(
      "服务器尚未提供血缘查询（lineage），请升级服务端后重试",
      "This server does not offer the lineage query yet; upgrade the server and retry",
      { code: "LINEAGE_UNAVAILABLE" },
    );
  }
  return new ApiError(ext.message || text || "请求失败", ext.messageEn || text || "request failed", {
    code: ext.code || "",
    unauthenticated: ext.code === "UNAUTHENTICATED",
  });
}

/** POST one GraphQL operation with the stored token; resolves to `data` or throws ApiError. */
export async function gql(query, variables = {}, { signal } = {}) {
  const token = getToken();
  if (!token) {
    throw new ApiError("请先输入访问令牌", "Enter an access token first", { unauthenticated: true });
  }
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
      signal,
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("无法连接服务器，请检查网络后重试", "Cannot reach the server; check the network and retry", {
      code: "NETWORK",
    });
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) {
    const err = body && body.errors ? fromErrors(body.errors) : null;
    throw new ApiError(
      (err && err.zh) || "令牌无效或已被吊销",
      (err && err.en) || "The token is invalid or revoked",
      { code: "UNAUTHENTICATED", unauthenticated: true },
    );
  }
  if (body && Array.isArray(body.errors) && body.errors.length) throw fromErrors(body.errors);
  if (!response.ok || !body || !body.data) {
    throw new ApiError(`服务器错误（HTTP ${response.status}）`, `Server error (HTTP ${response.status})`, {
      code: `HTTP_${response.status}`,
    });
  }
  return body.data;
}
