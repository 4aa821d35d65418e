#include "media/io_deadline.h"

namespace streamrelay::media {

void IoDeadline::arm(std::chrono::milliseconds budget) {
  deadline_ns_ = (Clock::now() + budget).time_since_epoch().count();
}

bool IoDeadline::has_expired() const {
  return Clock::now().time_since_epoch().count() > deadline_ns_.load();
}

bool IoDeadline::is_interrupted() const {
  return (stop_requested_.load() && !is_closing_.load()) || has_expired();
}

int IoDeadline::on_poll(void* opaque) {
  return static_cast<IoDeadline*>(opaque)->is_interrupted() ? 1 : 0;
}

}  // namespace streamrelay::media
