#include "anvil/gateway/sse_parser.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace anvil::gateway {
namespace {

// Feeds `stream` in pieces of `piece` bytes and collects every event.
std::vector<SseEvent> parse_in_pieces(std::string_view stream, size_t piece) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (size_t i = 0; i < stream.size(); i += piece) {
    parser.feed(stream.substr(i, piece));
    SseEvent event;
    for (;;) {
      auto got = parser.next(event);
      EXPECT_TRUE(got.ok()) << got.status().message();
      if (!got.ok() || !*got) break;
      events.push_back(event);
    }
  }
  return events;
}

TEST(SseParser, OpenAiStreamInOneReadAndByteByByte) {
  std::string stream =
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3}}\n\n"
      "data: [DONE]\n\n";
  for (size_t piece : {stream.size(), size_t(1), size_t(2), size_t(7)}) {
    auto events = parse_in_pieces(stream, piece);
    ASSERT_EQ(events.size(), 3u) << "piece " << piece;
    EXPECT_EQ(events[0].data, "{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}");
    EXPECT_EQ(events[1].data, "{\"choices\":[],\"usage\":{\"prompt_tokens\":3}}");
    EXPECT_FALSE(events[1].done());
    EXPECT_TRUE(events[2].done());
  }
}

TEST(SseParser, LineEndingsCrLfLfAndCrAlone) {
  std::string stream = "data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n";
  for (size_t piece : {stream.size(), size_t(1), size_t(3)}) {
    auto events = parse_in_pieces(stream, piece);
    ASSERT_EQ(events.size(), 4u) << "piece " << piece;
    EXPECT_EQ(events[0].data, "a");
    EXPECT_EQ(events[1].data, "b");
    EXPECT_EQ(events[2].data, "c");
    EXPECT_EQ(events[3].data, "d");
  }
}

TEST(SseParser, CrLfSplitAcrossReadsIsOneLineEnd) {
  SseParser parser;
  SseEvent event;
  parser.feed("data: x\r");
  auto got = parser.next(event);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  // The \n completes the \r\n above; only the next blank line ends the event.
  parser.feed("\ndata: y\r\n");
  got = parser.next(event);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  parser.feed("\r\n");
  got = parser.next(event);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(*got);
  EXPECT_EQ(event.data, "x\ny");
}

TEST(SseParser, MultiLineDataCommentsEventAndIdFields) {
  std::string stream =
      ": keep-alive\n"
      "event: delta\n"
      "id: 42\n"
      "data: first\n"
      "data:second\n"
      "retry: 1000\n"
      "unknown: ignored\n"
      "\n"
      "event: empty\n"
      "\n"
      "data\n"
      "\n";
  auto events = parse_in_pieces(stream, 1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "delta");
  EXPECT_EQ(events[0].id, "42");
  EXPECT_EQ(events[0].data, "first\nsecond");
  // "event: empty" has no data line, so it is not dispatched; "data" alone is an empty data line.
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "");
}

TEST(SseParser, ByteOrderMarkIsSkipped) {
  auto events = parse_in_pieces("\xEF\xBB\xBF" "data: z\n\n", 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "z");
}

TEST(SseParser, IncompleteEventStaysPending) {
  SseParser parser;
  parser.feed("data: {\"partial\":");
  SseEvent event;
  auto got = parser.next(event);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  EXPECT_GT(parser.pending_bytes(), 0u);
}

TEST(SseParser, EventOverTheLimitIsAnError) {
  SseParser parser(16);
  parser.feed("data: 0123456789\ndata: 0123456789\n");
  SseEvent event;
  auto got = parser.next(event);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "server-sent event larger than 16 bytes (expected events to end within it)");

  SseParser line_parser(16);
  line_parser.feed("data: 01234567890123456789");  // no line end yet, already over the limit
  got = line_parser.next(event);
  ASSERT_FALSE(got.ok());
}

}  // namespace
}  // namespace anvil::gateway
