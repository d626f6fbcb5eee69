// API keys as the openai SDK sees them: unknown, missing and revoked keys are
// AuthenticationError 401; a key made by `anvil keys create --rpm 2` on the running server is
// accepted once the server has loaded it and refused (RateLimitError 429, Retry-After) at its
// third request in a minute; a prompt over the token limit is a BadRequestError 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { client, eventually, kRequestTimeoutMs, kTestTimeoutMs } from './lib/anvil.mjs';

const run = promisify(execFile);
const messages = [{ role: 'user', content: 'hello' }];

// `anvil keys ARGS...` against the running server's data directory; its standard output.
async function anvilKeys(...args) {
  const { stdout } = await run(
    process.env.ANVIL_BIN,
    ['--data-dir', process.env.ANVIL_SDK_DATA_DIR, 'keys', ...args],
    { timeout: kRequestTimeoutMs },
  );
  return stdout.trim();
}

function isAuthenticationError(pattern) {
  return (error) => {
    assert.ok(error instanceof OpenAI.AuthenticationError, `expected AuthenticationError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 401);
    assert.equal(error.code, 'invalid_api_key');
    assert.match(error.message, pattern);
    return true;
  };
}

test('a key the server does not know: AuthenticationError 401, the key never echoed', { timeout: kTestTimeoutMs }, async () => {
  const wrong = `ak-${'x'.repeat(43)}`;
  await assert.rejects(
    client({ apiKey: wrong }).chat.completions.create({ model: 'chat', messages }),
    (error) => {
      isAuthenticationError(/no key of this server matches it/)(error);
      assert.ok(!error.message.includes(wrong));
      return true;
    },
  );
  await assert.rejects(
    client({ apiKey: 'sk-not-an-anvil-key' }).embeddings.create({ model: 'embed', input: 'x' }),
    isAuthenticationError(/invalid API key: expected 'ak-'/),
  );
});

test('no Authorization header: AuthenticationError 401 saying what was expected', { timeout: kTestTimeoutMs }, async () => {
  await assert.rejects(
    client({ defaultHeaders: { Authorization: null } }).chat.completions.create({ model: 'chat', messages }),
    isAuthenticationError(/missing API key: expected 'Authorization: Bearer <key>'/),
  );
});

test('a key with --rpm 2: its third request in a minute is RateLimitError 429; revoked it is refused', { timeout: kTestTimeoutMs }, async () => {
  const key = await anvilKeys('create', '--name', 'sdk-rpm', '--tenant', 'sdk', '--rpm', '2');
  assert.match(key, /^ak-\S{43}$/);
  const limited = client({ apiKey: key });

  // The running server loads new keys within its poll interval; until then the key is unknown
  // (401), and refused requests do not count against the limit.
  let first = null;
  await eventually('the new key accepted', async () => {
    try {
      first = await limited.chat.completions.create({ model: 'chat', messages, max_tokens: 2 });
      return true;
    } catch (error) {
      if (error instanceof OpenAI.AuthenticationError) return false;
      throw error;
    }
  });
  assert.equal(first.object, 'chat.completion');
  await limited.chat.completions.create({ model: 'chat', messages, max_tokens: 2 });
  await assert.rejects(limited.chat.completions.create({ model: 'chat', messages, max_tokens: 2 }), (error) => {
    assert.ok(error instanceof OpenAI.RateLimitError, `expected RateLimitError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 429);
    assert.match(error.message, /its limit is 2 per minute \(rpm\)/);
    // The sliding window (this minute and the last, weighted) can take up to two minutes to fall.
    const retryAfter = Number(error.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 120, `expected Retry-After in 1..120 s, found ${error.headers.get('retry-after')}`);
    return true;
  });

  await anvilKeys('revoke', 'sdk-rpm');
  await eventually('the revoked key refused', async () => {
    try {
      await limited.chat.completions.create({ model: 'chat', messages, max_tokens: 2 });
      return false;
    } catch (error) {
      return error instanceof OpenAI.AuthenticationError && /was revoked/.test(error.message);
    }
  });
});

test('a prompt over the token limit: BadRequestError 400 naming the limit and the count', { timeout: kTestTimeoutMs }, async () => {
  // The fake deployments have no tokenizer, so the server estimates (one token per 3 bytes):
  // 15,000 bytes are far over the default limit of 1000 whatever the estimate's details.
  const content = 'word '.repeat(3000);
  await assert.rejects(client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content }] }), (error) => {
    assert.ok(error instanceof OpenAI.BadRequestError, `expected BadRequestError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'prompt_too_long');
    assert.equal(error.param, 'messages');
    assert.match(error.message, /over the limit of 1000 prompt tokens of model 'chat'/);
    const count = Number(error.message.match(/has (\d+) tokens/)?.[1]);
    assert.ok(count > 1000, `expected the count in the message, over 1000, found ${error.message}`);
    return true;
  });
});
