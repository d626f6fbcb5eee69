#include "anvil/app/data_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "testing/temp_dir.h"

namespace anvil::app {
namespace {

using anvil::testing::TempDir;

TEST(DataDirTest, CreatesTheDirectoryAndRejectsAFile) {
  TempDir tmp;
  auto dir = DataDir::open(tmp / "data");
  ASSERT_TRUE(dir.ok()) << dir.status().to_string();
  EXPECT_TRUE(std::filesystem::is_directory(tmp / "data"));
  EXPECT_EQ(dir->database(), tmp / "data" / "anvil.db");
  auto file = tmp.write("plain", "x");
  EXPECT_FALSE(DataDir::open(file).ok());
}

// flock locks belong to open file descriptions, so two acquisitions in one process exclude each
// other just as two `anvil ingest` processes do.
TEST(FileLockTest, SecondWriterWaitsForTheFirst) {
  TempDir tmp;
  auto first = FileLock::acquire(tmp / "write.lock");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  std::optional<FileLock> held(std::move(first).value());

  std::atomic<bool> first_done{false};
  std::atomic<bool> second_started{false};
  bool second_saw_first_done = false;
  std::thread second([&] {
    second_started = true;
    auto lock = FileLock::acquire(tmp / "write.lock");
    ASSERT_TRUE(lock.ok());
    second_saw_first_done = first_done.load();
  });
  while (!second_started) std::this_thread::yield();
  // Give the second writer every chance to (wrongly) get in before the first is done. The test
  // cannot fail when the lock works; it fails when it does not.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  first_done = true;
  held.reset();  // releases
  second.join();
  EXPECT_TRUE(second_saw_first_done);
}

TEST(FileLockTest, ReleasedWhenMovedFromAndDestroyed) {
  TempDir tmp;
  {
    auto lock = FileLock::acquire(tmp / "write.lock");
    ASSERT_TRUE(lock.ok());
    FileLock moved(std::move(lock).value());
  }
  auto again = FileLock::acquire(tmp / "write.lock");  // would block forever if leaked
  EXPECT_TRUE(again.ok());
}

TEST(FileLockTest, UnusableLocationIsAnError) {
  TempDir tmp;
  auto blocker = tmp.write("plain", "a file where a folder should be");
  auto lock = FileLock::acquire(blocker / "write.lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.status().message().find((blocker / "write.lock").string()), std::string::npos)
      << lock.status().message();
}

}  // namespace
}  // namespace anvil::app
