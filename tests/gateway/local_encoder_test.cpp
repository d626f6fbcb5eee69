// LocalEncoder on a tiny embedding model: requests waiting together run as one merged forward
// pass with the same results as alone, the queue is bounded, a deadline passed while queued is a
// timeout whose work is then skipped, one bad request in a merged run does not fail the others,
// and shutting down fails what still waits.
#include "anvil/gateway/local_encoder.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "anvil/engine/gguf_vocab.h"
#include "gateway/local_encoder_fixture.h"
#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Outcome = core::Result<std::vector<float>>;

class LocalEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = anvil::testing::write_tiny_encoder(dir_.path(), "emb.gguf", false); }

  std::unique_ptr<LocalEncoder> open(LocalEncoderOptions options = {}) {
    engine::EncoderOptions eo;
    eo.threads = 1;
    auto runtime = engine::EncoderRuntime::open(path_, eo);
    EXPECT_TRUE(runtime.ok()) << runtime.status().to_string();
    auto e = LocalEncoder::create(std::move(runtime).value(), options);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(e).value();
  }

  // One text's work: [CLS] text [SEP].
  EncoderWork work(const LocalEncoder& e, std::string_view text) {
    EncoderWork w;
    w.texts.push_back(e.embedder()->tokens_for(text));
    return w;
  }

  // Where a spawned run's outcome lands (core::Result has no default value, which use_future
  // would need).
  struct Pending {
    std::optional<Outcome> outcome;
    bool ready() const { return outcome.has_value(); }
    Outcome get() {
      if (!outcome) return core::Status::internal("the run has not finished");
      return std::move(*outcome);
    }
  };

  std::shared_ptr<Pending> spawn(LocalEncoder& e, EncoderWork w,
                                 Clock::time_point deadline = Clock::now() + std::chrono::minutes(5)) {
    return spawn_on(io_, e, std::move(w), deadline);
  }
  static std::shared_ptr<Pending> spawn_on(asio::io_context& io, LocalEncoder& e, EncoderWork w,
                                           Clock::time_point deadline) {
    auto pending = std::make_shared<Pending>();
    asio::co_spawn(
        io,
        [&e, w = std::move(w), deadline, pending]() mutable -> asio::awaitable<void> {
          pending->outcome.emplace(co_await e.run(std::move(w), deadline));
        },
        asio::detached);
    return pending;
  }

  anvil::testing::TempDir dir_;
  std::filesystem::path path_;
  asio::io_context io_;
};

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << "component " << i;
}

TEST_F(LocalEncoderTest, RequestsWaitingTogetherRunMergedWithTheirOwnResults) {
  auto e = open();
  EXPECT_EQ(e->width(), anvil::testing::kTinyEncoderDim);
  const std::vector<std::string> texts = {"the cat sat on the mat", "hello world", "",
                                          "how to fix a pump seal leak?"};
  e->pause();
  std::vector<std::shared_ptr<Pending>> results;
  for (const std::string& t : texts) results.push_back(spawn(*e, work(*e, t)));
  io_.poll();  // every coroutine has queued its work and waits
  EXPECT_EQ(e->stats().waiting, 4);
  e->resume();
  io_.run();
  EXPECT_EQ(e->stats().runs, 1);
  EXPECT_EQ(e->stats().requests, 4);
  auto alone = e->embedder()->embed(texts);
  ASSERT_TRUE(alone.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(results[i]->ready());
    Outcome r = results[i]->get();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    expect_near(*r, (*alone)[i]);
  }
}

TEST_F(LocalEncoderTest, MergedRunsStopAtTheTokenBound) {
  LocalEncoderOptions o;
  o.merge_tokens = 10;  // "hello world" is 4 tokens with [CLS] and [SEP]: two fit, not three
  auto e = open(o);
  e->pause();
  std::vector<std::shared_ptr<Pending>> results;
  for (int i = 0; i < 3; ++i) results.push_back(spawn(*e, work(*e, "hello world")));
  io_.poll();
  e->resume();
  io_.run();
  EXPECT_EQ(e->stats().runs, 2);
  for (auto& r : results) EXPECT_TRUE(r->get().ok());
}

TEST_F(LocalEncoderTest, AFullQueueRefusesAtOnce) {
  LocalEncoderOptions o;
  o.max_waiting = 2;
  auto e = open(o);
  e->pause();
  auto a = spawn(*e, work(*e, "the cat"));
  auto b = spawn(*e, work(*e, "the dog"));
  auto c = spawn(*e, work(*e, "a mat"));
  io_.poll();
  ASSERT_TRUE(c->ready());
  Outcome refused = c->get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "2 requests already wait for the encoder (the limit); try again shortly");
  e->resume();
  io_.run();
  EXPECT_TRUE(a->get().ok());
  EXPECT_TRUE(b->get().ok());
}

TEST_F(LocalEncoderTest, ADeadlinePassedWhileQueuedIsATimeoutAndTheWorkIsSkipped) {
  auto e = open();
  asio::io_context other;
  auto past = spawn_on(other, *e, work(*e, "the cat"), Clock::now() - std::chrono::seconds(1));
  other.run();
  Outcome late = past->get();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(e->stats().waiting, 0);  // refused before queueing

  e->pause();
  auto expired = spawn(*e, work(*e, "the cat"), Clock::now() + std::chrono::milliseconds(1));
  auto fine = spawn(*e, work(*e, "the dog"));
  // The first gives up at its deadline (its timer fires) while the worker is paused.
  while (!expired->ready()) io_.run_one();
  Outcome r = expired->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "the request deadline passed before the encoder answered");
  e->resume();
  io_.run();
  EXPECT_TRUE(fine->get().ok());
  EXPECT_EQ(e->stats().runs, 1);
  EXPECT_EQ(e->stats().requests, 1);  // the abandoned work never ran
}

TEST_F(LocalEncoderTest, OneBadRequestInAMergedRunFailsAlone) {
  auto e = open();
  e->pause();
  auto good = spawn(*e, work(*e, "the cat"));
  EncoderWork bad;
  bad.texts.push_back({anvil::testing::kTinyCls, 9999, anvil::testing::kTinySep});  // outside the vocabulary
  auto wrong = spawn(*e, std::move(bad));
  io_.poll();
  e->resume();
  io_.run();
  EXPECT_TRUE(good->get().ok());
  Outcome r = wrong->get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("9999"), std::string::npos) << r.status().to_string();
}

TEST_F(LocalEncoderTest, ShuttingDownFailsWhatStillWaits) {
  auto e = open();
  e->pause();
  auto waiting = spawn(*e, work(*e, "the cat"));
  io_.poll();
  e.reset();
  io_.run();
  ASSERT_TRUE(waiting->ready());
  Outcome r = waiting->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "the encoder is shutting down");
}

}  // namespace
}  // namespace anvil::gateway
