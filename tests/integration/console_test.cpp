// The web console in a real browser: Debian's Chromium, headless, driven by playwright-core from
// the npm registry, against the service playing files into a real nginx-rtmp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/npm_packages.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// playwright-core, installed once into the build tree (the browser is Debian's, not a download).
std::string install_playwright(std::string& log) {
  return install_npm_packages("playwright", {"playwright-core@1"}, log);
}

}  // namespace

TEST(ConsoleTest, AUserCreatesWatchesModifiesAndDeletesATaskInTheBrowser) {
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  std::string media = dir.file("media");
  std::filesystem::create_directories(media);
  std::vector<std::string> files;
  for (int i = 0; i < 3; ++i) {
    ClipOptions clip;
    clip.seconds = 6;
    clip.file_index = i;
    clip.size = "320x240";
    std::string path = media + "/clip" + std::to_string(i) + ".mp4";
    make_clip(path, clip);
    files.push_back("file://" + path);
  }
  RelayServer server(dir.file("relay"), {"--media-root", media});
  std::string npm_log;
  std::string playwright = install_playwright(npm_log);
  ASSERT_FALSE(playwright.empty()) << "npm install playwright-core failed: " << npm_log;

  std::filesystem::create_directories(STREAMRELAY_ARTIFACT_DIR);
  std::string screenshot = std::string(STREAMRELAY_ARTIFACT_DIR) + "/console.png";
  std::filesystem::remove(screenshot);
  std::string go_on = dir.file("go-on");  // the browser deletes the task once it exists
  std::vector<std::string> argv = {
      "node",     STREAMRELAY_TEST_SOURCE_DIR "/support/console/console_flow.js",
      playwright, server.base_url(),
      "p1",       nginx.url("console"),
      screenshot, go_on};
  argv.insert(argv.end(), files.begin(), files.end());
  Process browser(argv, dir.file("browser.log"));
  auto browser_output = [&] {
    return read_file(dir.file("browser.log")) + "\n---- server log ----\n" +
           server.log().substr(0, 20000);
  };

  std::string id;
  eventually(
      [&] {
        std::string output = read_file(dir.file("browser.log"));
        std::smatch match;
        if (std::regex_search(output, match,
                              std::regex(R"(edited: \{"task_id":"([0-9a-f-]+)\"\})"))) {
          id = match[1];
        }
        return !id.empty() || !browser.is_running();
      },
      150s);
  ASSERT_FALSE(id.empty()) << browser_output();

  // The edit the browser made, as the API reads it back.
  json task = server.task_info(id);
  EXPECT_EQ(task["source_urls"], json({files[2], files[0], files[1]})) << task.dump();
  EXPECT_EQ(task.value("vod_refresh_type", ""), "continue_from_break_point") << task.dump();
  // The destination plays on in the publish session it had before the edit.
  long publisher = nginx.publisher_id("console");
  EXPECT_GE(publisher, 0);
  EXPECT_EQ(nginx.ended_publish_sessions("console"), 0);
  ProbeReport played = probe(nginx.url("console"), 3, dir.file("probe.log"));
  ASSERT_TRUE(played.is_ok) << played.error;
  EXPECT_GE(played.count("video"), 25);  // the clips' frame rate: a second's worth
  EXPECT_GE(played.dts_span("video"), 1.0);
  EXPECT_EQ(played.non_monotonic_dts("video"), 0);
  EXPECT_EQ(nginx.publisher_id("console"), publisher);

  std::ofstream(go_on) << "checked\n";
  ASSERT_EQ(browser.wait(60s), 0) << browser_output();
  EXPECT_EQ(server.call("GET", "/v1/p1/pull/stream/task").json()["total"], 0);
  // The delete ended the one publish session.
  EXPECT_TRUE(eventually([&] { return !nginx.is_publishing("console"); }, 5s));
  EXPECT_EQ(nginx.ended_publish_sessions("console"), 1);
  ASSERT_TRUE(std::filesystem::exists(screenshot));
  EXPECT_GT(std::filesystem::file_size(screenshot), 20000u);
}
