#include "media/relay/pipeline_relay.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "media/runtime/event_loops.h"
#include "media/runtime/memory_budget.h"
#include "media/sinks/rtmp/flv_sink.h"

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
  if (source_fiber_) source_fiber_->join();
  if (push_fiber_) push_fiber_->join();
}

void PipelineRelay::start() {
  // Refused before anything starts; the supervisor reports it and tries again later.
  auto& budget = runtime::MemoryBudget::shared();
  if (!budget.admits_new_relay()) throw std::runtime_error(budget.describe());
  auto& loop = runtime::EventLoops::shared().pick();
  source_fiber_ = runtime::Fiber::spawn(loop, spec_.task_id, [this] {
    run_guarded("source",
                [this] { runtime::run_leg(source_->runs_on_loop(), [this] { source_->run(); }); });
  });
  push_fiber_ = runtime::Fiber::spawn(loop, spec_.task_id, [this] {
    run_guarded("push",
                [this] { runtime::run_leg(push_->runs_on_loop(), [this] { push_->run(); }); });
  });
}

void PipelineRelay::request_stop() {
  stop_requested_ = true;
  source_->wake();
  queue_.wake();
  if (source_fiber_) source_fiber_->unpark();
  if (push_fiber_) push_fiber_->unpark();
}

void PipelineRelay::run_guarded(const char* leg, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& error) {
    // An exception escaping a leg is a bug; the relay reports it instead of taking the process.
    spdlog::error("task_id={} event=relay_leg_crashed leg={} error=\"{}\"", spec_.task_id, leg,
                  error.what());
    status_.on_failure(std::string("internal error in the ") + leg + " leg");
  }
  ++legs_done_;
}

}  // namespace streamrelay::media
