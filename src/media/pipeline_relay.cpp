#include "media/pipeline_relay.h"

#include "media/av_logging.h"

#include <spdlog/spdlog.h>

#include "media/sinks/flv/flv_sink.h"

namespace streamrelay::media {

PipelineRelay::PipelineRelay(Spec spec, RelayObserver* observer,
                             const SourceLegFactory& make_source_leg)
    : spec_(std::move(spec)),
      queue_(spec_.settings.queue),
      status_(spec_.settings.stall_threshold),
      pull_deadline_(stop_requested_),
      push_deadline_(stop_requested_),
      context_{spec_.task_id, spec_.settings, queue_, status_, observer, stop_requested_} {
  source_ = make_source_leg(context_, pull_deadline_);
  push_ = std::make_unique<PushLeg>(context_, spec_.destination_url, spec_.is_paced,
                                    std::make_unique<FlvSink>(push_deadline_, spec_.settings),
                                    push_deadline_);
  push_->set_has_standby(spec_.has_standby);
  status_.set_source("primary", spec_.initial_source);
}

PipelineRelay::~PipelineRelay() {
  request_stop();
  if (source_thread_.joinable()) source_thread_.join();
  if (push_thread_.joinable()) push_thread_.join();
}

void PipelineRelay::start() {
  source_thread_ = std::thread([this] { run_guarded("source", [this] { source_->run(); }); });
  push_thread_ = std::thread([this] { run_guarded("push", [this] { push_->run(); }); });
}

void PipelineRelay::request_stop() {
  stop_requested_ = true;
  source_->wake();
  queue_.wake();
}

void PipelineRelay::run_guarded(const char* leg, const std::function<void()>& body) {
  set_thread_task_id(spec_.task_id);
  try {
    body();
  } catch (const std::exception& error) {
    // An exception escaping a leg is a bug; the relay reports it instead of taking the process.
    spdlog::error("task_id={} event=relay_leg_crashed leg={} error=\"{}\"", spec_.task_id, leg,
                  error.what());
    status_.on_failure(std::string("internal error in the ") + leg + " leg");
  }
  ++threads_done_;
}

}  // namespace streamrelay::media
