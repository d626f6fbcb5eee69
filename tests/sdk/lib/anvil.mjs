// What the SDK tests share: a client for the Anvil server that run.sh started, and access to the
// fake upstreams behind it (their fault scripts and stats) and to the server's /metrics.
import OpenAI from 'openai';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`expected the environment variable ${name} (set by tests/sdk/run.sh)`);
  return value;
}

export const anvilUrl = required('ANVIL_URL');
export const adminKey = required('ANVIL_ADMIN_KEY');

// Every wait in these tests is bounded: the SDK's own timeout per request, the runner's per test.
export const kRequestTimeoutMs = 10_000;
export const kTestTimeoutMs = 20_000;

// An SDK client pointed at Anvil. maxRetries 0: the SDK would otherwise retry 429/5xx itself and
// hide what the server answered (and consume scripted upstream faults).
export function client(options = {}) {
  return new OpenAI({
    baseURL: `${anvilUrl}/v1`,
    apiKey: adminKey,
    maxRetries: 0,
    timeout: kRequestTimeoutMs,
    ...options,
  });
}

// Base URL of the fake upstream NAME (run.sh: main, flaky, down500, down429, cut, slow).
export function upstream(name) {
  return required(`ANVIL_SDK_UPSTREAM_${name.toUpperCase()}`);
}

async function fetchJson(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(kRequestTimeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: expected 2xx, found ${response.status} ${text}`);
  return JSON.parse(text);
}

// Queues one fault per coming request on the fake upstream NAME (docs/FAKE_UPSTREAM.md).
export async function scriptFaults(name, faults) {
  await fetchJson(`${upstream(name)}/fake/reset`, { method: 'POST' });
  return fetchJson(`${upstream(name)}/fake/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
}

// What reached the fake upstream NAME since its last reset: {total, requests, faults, request_ids}.
export function upstreamStats(name) {
  return fetchJson(`${upstream(name)}/fake/stats`);
}

// POSTs BODY to the fake upstream NAME directly, bypassing Anvil: the reference answer.
export function direct(name, path, body) {
  return fetchJson(`${upstream(name)}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

// The value of one sample of the server's /metrics ("name{labels}" exactly as exported); 0 when
// the series does not exist yet.
export async function metric(series) {
  const response = await fetch(`${anvilUrl}/metrics`, { signal: AbortSignal.timeout(kRequestTimeoutMs) });
  const text = await response.text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

// Polls PREDICATE (async) until it holds, for at most TIMEOUT_MS; for effects the server applies
// after the client is gone (a disconnect noticed on the next write). Throws with WHAT otherwise.
export async function eventually(what, predicate, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`expected ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The words of a fake upstream answer (one word is one token there).
export function words(text) {
  return text.split(' ').filter((w) => w.length > 0);
}
