// Embeddings (float and base64, which the SDK asks for and decodes by default) and the model list
// through Anvil with the openai SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, direct, kTestTimeoutMs } from './lib/anvil.mjs';

const openai = client();
const inputs = ['the quick brown fox', 'jumps over the lazy dog'];

function norm(vector) {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

// Little-endian float32 values of a base64 string, as OpenAI encodes them.
function decodeBase64(text) {
  const bytes = Buffer.from(text, 'base64');
  assert.equal(bytes.length % 4, 0, `expected a multiple of 4 bytes, found ${bytes.length}`);
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

test('embeddings as floats: one unit vector per input, as the upstream computes it', { timeout: kTestTimeoutMs }, async () => {
  const result = await openai.embeddings.create({ model: 'embed', input: inputs, encoding_format: 'float' });
  const reference = await direct('main', '/embeddings', { model: 'fake-model', input: inputs });
  assert.equal(result.object, 'list');
  assert.equal(result.data.length, 2);
  result.data.forEach((item, i) => {
    assert.equal(item.object, 'embedding');
    assert.equal(item.index, i);
    assert.equal(item.embedding.length, 16);
    assert.deepEqual(item.embedding, reference.data[i].embedding);
    assert.ok(Math.abs(norm(item.embedding) - 1) < 1e-5, `expected a unit vector, found norm ${norm(item.embedding)}`);
  });
  assert.notDeepEqual(result.data[0].embedding, result.data[1].embedding);
  assert.equal(result.usage.prompt_tokens, 4 + 5);
  assert.equal(result.usage.total_tokens, 4 + 5);
});

test('embeddings by default: the SDK requests base64 and decodes it to the same floats', { timeout: kTestTimeoutMs }, async () => {
  const floats = await openai.embeddings.create({ model: 'embed', input: inputs, encoding_format: 'float' });
  const { data: decoded, response } = await openai.embeddings.create({ model: 'embed', input: inputs }).withResponse();
  assert.equal(response.status, 200);
  decoded.data.forEach((item, i) => {
    assert.ok(Array.isArray(item.embedding), `expected the SDK to decode base64 to an array, found ${typeof item.embedding}`);
    assert.equal(item.embedding.length, 16);
    // base64 carries float32; the float answer is the same value written in decimal.
    item.embedding.forEach((x, j) => {
      assert.equal(x, Math.fround(floats.data[i].embedding[j]), `input ${i} value ${j}`);
    });
  });
});

test('embeddings as explicit base64 are left encoded by the SDK', { timeout: kTestTimeoutMs }, async () => {
  const floats = await openai.embeddings.create({ model: 'embed', input: 'single input', encoding_format: 'float' });
  const encoded = await openai.embeddings.create({ model: 'embed', input: 'single input', encoding_format: 'base64' });
  assert.equal(typeof encoded.data[0].embedding, 'string');
  assert.deepEqual(decodeBase64(encoded.data[0].embedding), floats.data[0].embedding.map(Math.fround));
});

test('embeddings honour dimensions', { timeout: kTestTimeoutMs }, async () => {
  const result = await openai.embeddings.create({ model: 'embed', input: 'short', dimensions: 8, encoding_format: 'float' });
  assert.equal(result.data[0].embedding.length, 8);
});

test('models.list names every configured model', { timeout: kTestTimeoutMs }, async () => {
  const ids = [];
  for await (const model of openai.models.list()) {
    assert.equal(model.object, 'model');
    assert.equal(typeof model.created, 'number');
    assert.equal(typeof model.owned_by, 'string');
    ids.push(model.id);
  }
  assert.deepEqual(ids.sort(), ['chat', 'cut', 'down-429', 'down-500', 'embed', 'flaky', 'flaky-chain', 'slow']);
});
