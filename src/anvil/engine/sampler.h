// Picks the next token from a model's logits: penalties, top-k, top-p, min-p, temperature and a
// draw, in llama.cpp's default order; deterministic for a seed on every platform (own RNG
// arithmetic, ties broken by token id). Parameters, order, defaults: docs/SAMPLING.md.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::engine {

struct SamplerParams {
  float temperature = 0.8f;  // logits are divided by it; <= 0 means greedy (argmax)
  int32_t top_k = 40;        // keep the k most likely tokens; <= 0 keeps all
  float top_p = 0.95f;       // keep the smallest set whose probability reaches p; 1 keeps all
  float min_p = 0.05f;       // drop tokens less likely than min_p x the top token; 0 keeps all
  float repeat_penalty = 1.0f;     // recent tokens: positive logits / it, negative x it; 1 is off
  int32_t repeat_last_n = 64;      // window the three penalties look at; 0 off, -1 all tokens
  float frequency_penalty = 0.0f;  // OpenAI's: logit -= count x this
  float presence_penalty = 0.0f;   // OpenAI's: logit -= this if count > 0
  std::optional<uint64_t> seed;    // unset: drawn from std::random_device (see Sampler::seed())
};

class Sampler {
 public:
  // Errors name the parameter: "top_p must be in [0, 1], got 1.5".
  static core::Result<Sampler> create(const SamplerParams& params);

  // Chooses a token from `logits` (one raw score per vocabulary entry) and records it in the
  // penalty window. Errors: empty logits, a NaN logit, or no token with a finite logit.
  core::Result<int32_t> sample(std::span<const float> logits);

  // Records a token for the penalties without sampling it (e.g. prompt tokens, if they should
  // count against repetition).
  void accept(int32_t token);

  // Forgets the penalty window and restarts the random sequence from the seed.
  void reset();

  // The tokens the chain keeps for `logits` and the probability of drawing each, most likely
  // first (ties: lower id first). With temperature <= 0 it is the argmax with probability 1.
  // Does not draw and does not record anything.
  struct Candidate {
    int32_t id;
    double p;
  };
  core::Result<std::vector<Candidate>> distribution(std::span<const float> logits);

  uint64_t seed() const { return seed_; }
  const SamplerParams& params() const { return params_; }

 private:
  explicit Sampler(const SamplerParams& params, uint64_t seed);

  core::Status penalize(std::span<const float> logits);  // logits -> work_, argmax_
  core::Result<std::vector<Candidate>> candidates();   // work_ -> kept tokens with probabilities
  double next_uniform();                                // [0, 1) with 53 random bits

  SamplerParams params_;
  uint64_t seed_;
  std::mt19937_64 rng_;  // its output sequence is fixed by the C++ standard
  std::deque<int32_t> window_;
  std::unordered_map<int32_t, int32_t> counts_;  // occurrences of each token in window_
  std::vector<float> work_;                      // penalized logits, reused between calls
  std::vector<int32_t> order_;                   // candidate ids, reused between calls
  int32_t argmax_ = 0;                           // of work_, lowest id among equals
};

}  // namespace anvil::engine
