// Chat and text completions through Anvil with the openai SDK: JSON answers and SSE streams with
// stream_options.include_usage, checked against what the fake upstream answers directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, direct, kTestTimeoutMs, words } from './lib/anvil.mjs';

const openai = client();
const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'name four trees of the north' },
];
const promptWords = 4 + 5;  // the fake counts whitespace-separated words of every message

test('chat completion: content, usage, id and model as the upstream answered', { timeout: kTestTimeoutMs }, async () => {
  const { data: completion, response } = await openai.chat.completions
    .create({ model: 'chat', messages, max_tokens: 7 })
    .withResponse();
  const reference = await direct('main', '/chat/completions', { model: 'fake-model', messages, max_tokens: 7 });

  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-anvil-deployment'), 'main');
  assert.match(response.headers.get('x-request-id'), /^\S{1,128}$/);
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.id, reference.id);
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.model, 'fake-model');
  assert.equal(completion.choices.length, 1);
  const [choice] = completion.choices;
  assert.equal(choice.message.role, 'assistant');
  assert.equal(choice.message.content, reference.choices[0].message.content);
  assert.equal(words(choice.message.content).length, 7);
  assert.equal(choice.finish_reason, 'length');
  assert.deepEqual(completion.usage, {
    prompt_tokens: promptWords,
    completion_tokens: 7,
    total_tokens: promptWords + 7,
    prompt_tokens_details: { cached_tokens: 0 },
  });
});

test('chat stream with include_usage: chunks rebuild the answer, usage comes last, stream ends', { timeout: kTestTimeoutMs }, async () => {
  const request = { model: 'chat', messages, max_tokens: 6 };
  const whole = await openai.chat.completions.create(request);
  const stream = await openai.chat.completions.create({
    ...request,
    stream: true,
    stream_options: { include_usage: true },
  });

  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);  // ends after [DONE]

  assert.ok(chunks.length >= 3, `expected a role chunk, content chunks and a usage chunk, found ${chunks.length} chunks`);
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1, `expected one id over the stream, found ${[...ids].join(', ')}`);
  for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');

  const usageChunk = chunks.at(-1);
  assert.deepEqual(usageChunk.choices, []);
  assert.deepEqual(usageChunk.usage, whole.usage, 'a streamed answer carries the same usage as the same request unstreamed');
  const body = chunks.slice(0, -1);
  for (const chunk of body) assert.equal(chunk.usage ?? null, null, 'only the last chunk carries usage');

  assert.equal(body[0].choices[0].delta.role, 'assistant');
  const content = body.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(content, whole.choices[0].message.content);
  assert.equal(body.at(-1).choices[0].finish_reason, 'length');
});

test('chat stream without include_usage has no usage chunk', { timeout: kTestTimeoutMs }, async () => {
  const stream = await openai.chat.completions.create({ model: 'chat', messages, max_tokens: 3, stream: true });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  for (const chunk of chunks) {
    assert.equal(chunk.choices.length, 1, 'every chunk has its choice');
    assert.equal(chunk.usage ?? null, null);
  }
  assert.equal(words(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).length, 3);
});

test('text completion, plain and streamed', { timeout: kTestTimeoutMs }, async () => {
  const prompt = 'Once upon a time there was';
  const completion = await openai.completions.create({ model: 'chat', prompt, max_tokens: 5 });
  const reference = await direct('main', '/completions', { model: 'fake-model', prompt, max_tokens: 5 });
  assert.equal(completion.object, 'text_completion');
  assert.equal(completion.choices[0].text, reference.choices[0].text);
  assert.equal(words(completion.choices[0].text).length, 5);
  assert.deepEqual(completion.usage, reference.usage);
  assert.equal(completion.usage.prompt_tokens, 6);

  const stream = await openai.completions.create({
    model: 'chat', prompt, max_tokens: 5, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(usage, null, 'nothing follows the usage chunk');
    text += chunk.choices[0]?.text ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, completion.choices[0].text);
  assert.deepEqual(usage, completion.usage);
});

test("the SDK's stream helper assembles the same completion as the unstreamed call", { timeout: kTestTimeoutMs }, async () => {
  const request = { model: 'chat', messages, max_tokens: 8 };
  const whole = await openai.chat.completions.create(request);
  const runner = openai.chat.completions.stream({ ...request, stream_options: { include_usage: true } });
  const deltas = [];
  runner.on('content', (delta) => deltas.push(delta));
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, whole.choices[0].message.content);
  assert.equal(deltas.join(''), whole.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, 'length');
  assert.deepEqual(final.usage, whole.usage);
});
