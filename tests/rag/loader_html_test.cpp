#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::load_ok;
using Path = std::vector<std::string>;

TEST(HtmlLoader, VisibleTextOnlyWithHeadings) {
  testing::LoaderFiles files;
  auto docs = files.load("page.html", R"(<!DOCTYPE html>
<html><head><title> Pump
  bulletin </title><style>p { color: red }</style><script>var secret = "tracking";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/x">Menu item</a></nav>
<div hidden>hidden banner</div><div style="display: none">invisible</div><span aria-hidden="true">icon</span>
<h1>Seal failures</h1>
<p>Seals   fail when
   pumps run <b>dry</b>.</p><p>Second&nbsp;paragraph &amp; more.</p>
<h2>Causes</h2>
<ul><li>Dry running</li><li>Misalignment</li></ul>
<table><tr><th>Cause</th><th>Fix</th></tr><tr><td>Dry</td><td>Prime</td></tr></table>
<noscript>enable js</noscript><template><p>never</p></template>
<p>Line<br>break</p>
<pre>  keep
    spaces</pre>
<h2>中文</h2>
<p>压缩空气
不得对人吹。</p>
<script>document.write("more script")</script>
</body></html>)");
  ASSERT_EQ(docs.size(), 1u);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.type, "html");
  EXPECT_EQ(d.info.title, "Pump bulletin");
  ASSERT_EQ(d.sections.size(), 3u);
  EXPECT_EQ(d.sections[0].text, "Seal failures\n\nSeals fail when pumps run dry.\n\nSecond paragraph & more.");
  EXPECT_EQ(d.sections[0].heading_path, (Path{"Seal failures"}));
  EXPECT_EQ(d.sections[1].text,
            "Causes\n\n- Dry running\n- Misalignment\n\nCause | Fix\nDry | Prime\n\nLine\nbreak\n\n  keep\n    spaces");
  EXPECT_EQ(d.sections[1].heading_path, (Path{"Seal failures", "Causes"}));
  EXPECT_EQ(d.sections[2].text, "中文\n\n压缩空气不得对人吹。");
  const std::string all = d.text();
  for (const char* noise : {"secret", "tracking", "color", "Home", "Menu", "hidden banner", "invisible", "icon",
                            "enable js", "never", "more script"}) {
    EXPECT_EQ(all.find(noise), std::string::npos) << noise;
  }
}

TEST(HtmlLoader, TitleFallsBackToFirstH1AndFragmentsWork) {
  testing::LoaderFiles files;
  auto docs = files.load("frag.htm", "<h1>Only heading</h1><p>Text</p>");
  EXPECT_EQ(docs[0].info.title, "Only heading");
  EXPECT_EQ(docs[0].text(), "Only heading\n\nText");
}

TEST(HtmlLoader, DetectedByContentWithoutExtension) {
  anvil::testing::TempDir dir;
  auto path = dir.write("page", "\n  <!doctype HTML><html><body><p>x</p></body></html>");
  EXPECT_EQ(detect_type(path).value_or(""), "html");
  EXPECT_EQ(load_ok(path)[0].text(), "x");
}

TEST(HtmlLoader, Errors) {
  testing::LoaderFiles files;
  EXPECT_EQ(files.error("empty.html", "<html><head><title>T</title><script>x()</script></head><body> </body></html>"),
            "empty.html: contains no visible text");
  EXPECT_EQ(files.error("gbk.html", "<meta charset=gbk><p>\xB1\xC3</p>"),
            "gbk.html: invalid UTF-8 at byte 21 (line 1); expected UTF-8 text (convert legacy encodings such as "
            "GBK or Latin-1 first)");
}

TEST(HtmlLoader, DeepNestingDoesNotOverflowTheStack) {
  testing::LoaderFiles files;
  std::string html;
  for (int i = 0; i < 20000; ++i) html += "<span>";
  html += "deep";
  EXPECT_EQ(files.load("deep.html", "<html><body>" + html + "</body></html>")[0].text(), "deep");
}

}  // namespace
}  // namespace anvil::rag
