// Failures as the openai SDK sees them through Anvil: the SDK's error classes, statuses, messages
// and params; upstream faults that a retry or a fallback hides; failures that reach the client; a
// stream cut by the upstream; a stream the client abandons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, eventually, kTestTimeoutMs, metric, scriptFaults, upstreamStats, words } from './lib/anvil.mjs';

const openai = client();
const messages = [{ role: 'user', content: 'tell me something' }];

test('unknown model: NotFoundError 404 naming the model', { timeout: kTestTimeoutMs }, async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'no-such-model', messages }), (error) => {
    assert.ok(error instanceof OpenAI.NotFoundError, `expected NotFoundError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /model 'no-such-model' does not exist/);
    assert.match(error.message, /chat/, 'the message lists known models');
    return true;
  });
});

test('invalid body: BadRequestError 400 with the param and what was expected', { timeout: kTestTimeoutMs }, async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'chat', messages, temperature: 3 }), (error) => {
    assert.ok(error instanceof OpenAI.BadRequestError, `expected BadRequestError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'temperature');
    assert.match(error.message, /invalid 'temperature': expected a number between 0 and 2, found number 3/);
    return true;
  });
  await assert.rejects(openai.embeddings.create({ model: 'embed', input: [] }), (error) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'input');
    return true;
  });
});

test('upstream 429 then 500: retried, then the standby deployment answers', { timeout: kTestTimeoutMs }, async () => {
  await scriptFaults('flaky', ['429', '500']);
  const { data, response } = await openai.chat.completions
    .create({ model: 'flaky', messages, max_tokens: 4 })
    .withResponse();
  assert.equal(response.headers.get('x-anvil-deployment'), 'flaky-standby');
  assert.equal(words(data.choices[0].message.content).length, 4);
  const stats = await upstreamStats('flaky');
  assert.deepEqual(stats.faults, { 429: 1, 500: 1 }, 'both attempts on the primary failed as scripted');
  // The SDK shows Anvil's request id, and every upstream attempt carried it.
  const requestId = response.headers.get('x-request-id');
  assert.equal(data._request_id, requestId);
  assert.deepEqual(stats.request_ids, [requestId, requestId]);
});

test('upstream 500s: the fallback model answers', { timeout: kTestTimeoutMs }, async () => {
  await scriptFaults('flaky', ['500', '503']);
  const { data, response } = await openai.chat.completions
    .create({ model: 'flaky-chain', messages, max_tokens: 4 })
    .withResponse();
  assert.equal(response.headers.get('x-anvil-deployment'), 'main');
  assert.equal(words(data.choices[0].message.content).length, 4);
  assert.equal((await upstreamStats('flaky')).total, 2);
});

test('a stream whose upstream fails before its first byte falls back and completes', { timeout: kTestTimeoutMs }, async () => {
  await scriptFaults('flaky', ['reset', '500']);
  const stream = await openai.chat.completions.create({
    model: 'flaky-chain', messages, max_tokens: 5, stream: true, stream_options: { include_usage: true },
  });
  let content = '';
  let usage = null;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta?.content ?? '';
    usage = chunk.usage ?? usage;
  }
  assert.equal(words(content).length, 5);
  assert.equal(usage.completion_tokens, 5);
  assert.deepEqual((await upstreamStats('flaky')).faults, { reset: 1, 500: 1 });
});

test('upstream always 500, no fallback: InternalServerError 502 naming the model', { timeout: kTestTimeoutMs }, async () => {
  const before = (await upstreamStats('down500')).total;
  await assert.rejects(openai.chat.completions.create({ model: 'down-500', messages }), (error) => {
    assert.ok(error instanceof OpenAI.InternalServerError, `expected InternalServerError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 502);
    assert.equal(error.code, 'upstream_error');
    assert.match(error.message, /down-500/);
    return true;
  });
  assert.equal((await upstreamStats('down500')).total - before, 2, 'two attempts (max_attempts = 2)');
});

test('upstream always 429, no fallback: RateLimitError 429 with Retry-After', { timeout: kTestTimeoutMs }, async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'down-429', messages }), (error) => {
    assert.ok(error instanceof OpenAI.RateLimitError, `expected RateLimitError, found ${error?.constructor?.name}: ${error}`);
    assert.equal(error.status, 429);
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.headers.get('retry-after'), '0', "the upstream's Retry-After");
    return true;
  });
});

test('a stream cut by the upstream mid-answer is an error to the SDK, not a short answer', { timeout: kTestTimeoutMs }, async () => {
  // The cut upstream sends 3 events (the role chunk and two words), then closes the connection.
  const stream = await openai.chat.completions.create({ model: 'cut', messages, max_tokens: 10, stream: true });
  const received = [];
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta?.content ?? '');
    })(),
    (error) => {
      assert.ok(error instanceof OpenAI.APIError, `expected APIError, found ${error?.constructor?.name}: ${error}`);
      assert.ok(!(error instanceof OpenAI.APIUserAbortError));
      assert.equal(error.code, 'upstream_error');
      assert.match(error.message, /cut/, 'the message names the model');
      return true;
    },
  );
  assert.equal(words(received.join('')).length, 2, 'the words sent before the cut arrived');

  // Not streamed, the same upstream answers whole.
  const whole = await openai.chat.completions.create({ model: 'cut', messages, max_tokens: 10 });
  assert.equal(words(whole.choices[0].message.content).length, 10);
});

test('a client that abandons a stream: the upstream attempt is cancelled, the server keeps serving', { timeout: kTestTimeoutMs }, async () => {
  const series = 'anvil_gateway_upstream_attempts_total{deployment="slow",outcome="cancelled"}';
  const before = await metric(series);
  const controller = new AbortController();
  // 200 words paced 20 ms apart by the upstream: the stream is still running when we leave.
  const stream = await openai.chat.completions.create(
    { model: 'slow', messages, max_tokens: 200, stream: true },
    { signal: controller.signal },
  );
  let received = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) {
      received += 1;
      // The SDK ends the iteration quietly on an abort, after the events it already read.
      controller.abort();
    }
  }
  assert.ok(received >= 1 && received < 200, `expected the stream left early, found ${received} of 200 words`);
  await eventually('the upstream attempt of the abandoned stream counted as cancelled', async () => (await metric(series)) === before + 1);

  const after = await openai.chat.completions.create({ model: 'slow', messages, max_tokens: 2 });
  assert.equal(words(after.choices[0].message.content).length, 2);
});

test('a request aborted before its answer rejects with APIUserAbortError', { timeout: kTestTimeoutMs }, async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    openai.chat.completions.create({ model: 'chat', messages }, { signal: controller.signal }),
    OpenAI.APIUserAbortError,
  );
});
