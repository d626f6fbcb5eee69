#include "anvil/core/file_io.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace anvil::core {
namespace {

TEST(FileIoTest, ReadsWholeFiles) {
  testing::TempDir dir;
  std::string content = "第一行\n" + std::string(200000, 'x') + std::string("\0end", 4);
  auto path = dir.write("big.bin", content);
  Result<std::string> r = read_file(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, content);
  EXPECT_EQ(*read_file(dir.write("empty", "")), "");
}

TEST(FileIoTest, ReadErrorsNameThePath) {
  testing::TempDir dir;
  Result<std::string> missing = read_file(dir / "absent.txt");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            (dir / "absent.txt").string() + ": cannot read: No such file or directory");
  Result<std::string> folder = read_file(dir.path());
  EXPECT_EQ(folder.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(folder.status().message(), dir.path().string() + ": cannot read: Is a directory");
  auto file = dir.write("plain", "x");
  EXPECT_EQ(read_file(file / "child").status().code(), StatusCode::kNotFound);
}

TEST(FileIoTest, AtomicWriteReplacesAndLeavesNoTemporaries) {
  testing::TempDir dir;
  auto path = dir / "index.bin";
  ASSERT_TRUE(write_file_atomic(path, "version 1").ok());
  EXPECT_EQ(*read_file(path), "version 1");
  ASSERT_TRUE(write_file_atomic(path, "v2").ok());
  EXPECT_EQ(*read_file(path), "v2");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(FileIoTest, AtomicWriteIntoMissingFolderFails) {
  testing::TempDir dir;
  Status s = write_file_atomic(dir / "no-such-folder" / "f", "x");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.message().starts_with((dir / "no-such-folder" / "f").string() + ".tmp."))
      << s.message();
  EXPECT_TRUE(s.message().ends_with(": cannot create: No such file or directory")) << s.message();
}

}  // namespace
}  // namespace anvil::core
