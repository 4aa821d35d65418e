// Feeds arbitrary bytes to the create and modify request parsers and the validation behind them;
// any crash, leak or undefined behaviour is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/json_codec.h"
#include "net/url_masking.h"
#include "task/validation.h"

using namespace streamrelay;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  task::ValidationContext context;
  context.now = 1'800'000'000;
  context.media_roots.folders = {"/srv/media"};
  if (auto request = api::parse_create_body(body)) {
    if (auto spec = task::build_spec(*request, context)) {
      (void)task::destination_of(*spec);
    }
  }
  if (auto request = api::parse_modify_body(body)) {
    task::TaskSpec current;
    current.source_type = task::SourceType::vod;
    current.source_urls = {"http://media.example.com/a.mp4"};
    current.destination_url = "rtmp://ingest.example.com/live/x";
    current.start_time = context.now;
    current.end_time = context.now + 3600;
    (void)task::apply_modify(current, *request, context);
  }
  (void)net::mask_url(body);
  (void)net::mask_urls_in(body);
  (void)net::redact_url_secrets(body, body);
  return 0;
}
