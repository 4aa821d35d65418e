// Runs after the integration tests (a ctest fixture's cleanup): every answer of the API they
// received, recorded by their HTTP clients into STREAMRELAY_API_ANSWERS, must match the OpenAPI
// document (console/openapi.json), checked by a validator from the npm registry.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/npm_packages.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;

TEST(ApiAnswers, EveryAnswerTheIntegrationTestsReceivedMatchesTheOpenApiDocument) {
  const char* recorded = std::getenv("STREAMRELAY_API_ANSWERS");
  ASSERT_NE(recorded, nullptr) << "STREAMRELAY_API_ANSWERS names no folder";
  std::string log;
  std::string validator = install_npm_packages(
      "openapi-tools", {"@apidevtools/swagger-parser@10.1.0", "ajv@8.12.0", "ajv-formats@2.1.1"},
      log);
  ASSERT_FALSE(validator.empty()) << "npm install failed: " << log;
  TempDir dir;
  Process check({"node", STREAMRELAY_SOURCE_DIR "/tests/support/openapi/check.js", validator,
                 STREAMRELAY_SOURCE_DIR "/console/openapi.json", "--recorded", recorded},
                dir.file("check.log"));
  int status = check.wait(300s);
  std::string said = read_file(dir.file("check.log"));
  std::cout << said.substr(said.rfind('\n', said.size() - 2) + 1);
  EXPECT_EQ(status, 0) << said
                       << "(a run of tests that make no API request records nothing: leave this "
                          "check out with ctest's --fixture-exclude-cleanup ApiAnswers)";
}
