#pragma once

namespace streamrelay::task {

// Told after every committed change, so the scheduler reacts at once instead of at its next poll.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void on_tasks_changed() = 0;
};

}  // namespace streamrelay::task
