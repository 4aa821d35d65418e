#include "media/live_relay.h"

#include <spdlog/spdlog.h>

#include "media/sinks/flv/flv_sink.h"
#include "media/sources/av/av_source.h"

namespace streamrelay::media {

LiveRelay::LiveRelay(LiveRelaySpec spec, RelayObserver* observer)
    : spec_(std::move(spec)),
      observer_(observer),
      queue_(spec_.settings.queue),
      status_(spec_.settings.stall_threshold),
      pull_deadline_(stop_requested_),
      push_deadline_(stop_requested_) {
  PullLeg::Context pull_context{spec_.task_id, spec_.settings, queue_,
                                status_,       observer_,      stop_requested_};
  pull_ = std::make_unique<PullLeg>(
      pull_context, std::make_unique<AvSource>(pull_deadline_, spec_.settings), spec_.sources);
  PushLeg::Context push_context{
      spec_.task_id, spec_.destination_url, spec_.settings, queue_, status_,
      observer_,     stop_requested_};
  push_ = std::make_unique<PushLeg>(
      push_context, std::make_unique<FlvSink>(push_deadline_, spec_.settings), push_deadline_);
  if (!spec_.sources.empty()) status_.set_source("primary", spec_.sources.front().masked);
}

LiveRelay::~LiveRelay() {
  request_stop();
  if (pull_thread_.joinable()) pull_thread_.join();
  if (push_thread_.joinable()) push_thread_.join();
}

void LiveRelay::start() {
  pull_thread_ = std::thread([this] { run_guarded("pull", &LiveRelay::run_pull); });
  push_thread_ = std::thread([this] { run_guarded("push", &LiveRelay::run_push); });
}

void LiveRelay::request_stop() {
  stop_requested_ = true;
  pull_->wake();
  queue_.wake();
}

void LiveRelay::replace_sources(const std::vector<SourceUrl>& urls) {
  pull_->replace_urls(urls);
}

void LiveRelay::run_guarded(const char* leg, void (LiveRelay::*body)()) {
  try {
    (this->*body)();
  } catch (const std::exception& error) {
    // An exception escaping a leg is a bug; the relay reports it instead of taking the process.
    spdlog::error("task_id={} event=relay_leg_crashed leg={} error=\"{}\"", spec_.task_id, leg,
                  error.what());
    status_.on_failure(std::string("internal error in ") + leg + " leg");
  }
  ++threads_done_;
}

void LiveRelay::run_pull() {
  pull_->run();
}
void LiveRelay::run_push() {
  push_->run();
}

}  // namespace streamrelay::media
