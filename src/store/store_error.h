#pragma once

#include <stdexcept>

namespace streamrelay::store {

// An unexpected database failure (disk full, corruption, a lost connection); the API answers it
// with a 500.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace streamrelay::store
